/**
 * SIGINT and SIGTERM, dispatched from one place: the innermost handler registered with
 * `onSignals` gets them (a verb's own handling: cancel gracefully, pass them on to a container,
 * end a live view). When none is registered, the fallback runs: the CLI sets one at its very
 * start (exit 130 with a message), so that a signal at any moment, while loading the stack or
 * between two phases of a verb, is handled rather than killing tug by the default action.
 *
 * Without a fallback (the programmatic API), process listeners exist only while a handler is
 * registered: the embedding process keeps its own default behaviour otherwise.
 */
export type SignalHandler = (signal: NodeJS.Signals) => void;

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
const handlers: SignalHandler[] = [];
let fallback: SignalHandler | undefined;
let listening = false;

function dispatch(signal: NodeJS.Signals): void {
  (handlers.at(-1) ?? fallback)?.(signal);
}

function listen(on: boolean): void {
  if (on === listening) return;
  listening = on;
  for (const s of SIGNALS) {
    if (on) process.on(s, dispatch);
    else process.off(s, dispatch);
  }
}

/** Where bin/tug.js leaves the handler it installs while Node loads the CLI. */
const EARLY = Symbol.for('tug.earlySignalHandler');

/**
 * What runs when a signal arrives and no handler is registered; installs the listeners now,
 * replacing the one bin/tug.js installed before loading the CLI.
 */
export function setSignalFallback(handler: SignalHandler): void {
  fallback = handler;
  listen(true);
  const holder = globalThis as { [EARLY]?: SignalHandler };
  const early = holder[EARLY];
  if (early) {
    for (const s of SIGNALS) process.off(s, early);
    delete holder[EARLY];
  }
}

/** Takes SIGINT and SIGTERM over until the returned function is called. */
export function onSignals(handler: SignalHandler): () => void {
  handlers.push(handler);
  listen(true);
  return () => {
    const i = handlers.lastIndexOf(handler);
    if (i >= 0) handlers.splice(i, 1);
    if (handlers.length === 0 && !fallback) listen(false);
  };
}
