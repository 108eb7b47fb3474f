/**
 * The live display itself: listr2's default renderer drawing one task per row.
 *
 * Resources are only known as their events arrive, while listr2 runs a list fixed when it
 * starts. So listr2 runs one untitled task that lasts as long as the display, and each row
 * is a task added beside it once that list is fixed (listr2 draws them but never runs them),
 * whose title and state this module sets. listr2 itself is passed in, never imported here:
 * it is loaded only once something is to be drawn.
 */
import type { ChalkInstance } from 'chalk';
import type { Row, Rows } from './rows.js';

export type Listr2 = typeof import('listr2');
type Task = Listr2['Listr']['prototype']['tasks'][number];

export interface DisplayOptions {
  stream: NodeJS.WritableStream;
  other?: NodeJS.WritableStream;
  tickMs?: number;
}

export class Display {
  private readonly listr: InstanceType<Listr2['Listr']>;
  private readonly tasks = new Map<Row, Task>();
  private readonly running: Promise<unknown>;
  private readonly timer: NodeJS.Timeout;
  private finish: () => void = () => {};
  private readonly restoreCursor: () => void;
  /** Rows added before listr2 has taken its list would be run by it, and their state overwritten. */
  private listed = false;
  private final = false;

  constructor(
    private readonly lib: Listr2,
    private readonly rows: Rows,
    opts: DisplayOptions,
    private readonly color: ChalkInstance,
  ) {
    const lasts = new Promise<void>((resolve) => (this.finish = resolve));
    // listr2 falls back to line output unless *stdout* is a terminal; this display is on stderr.
    const Renderer = class extends lib.DefaultRenderer {
      static override nonTTY = true;
    };
    const processOutput = new lib.ProcessOutput(opts.stream as NodeJS.WriteStream, (opts.other ?? nullStream()) as NodeJS.WriteStream);
    const Spinner = class extends lib.Spinner {
      private timer?: NodeJS.Timeout;
      override start(cb?: () => void, interval = 100): void {
        this.timer = setInterval(() => {
          this.spin();
          cb?.();
        }, interval).unref();
      }
      override stop(): void {
        clearInterval(this.timer);
        this.timer = undefined;
      }
      override isRunning(): boolean {
        return this.timer !== undefined;
      }
    };
    const list = () => {
      this.listed = true;
      this.syncAll();
      return lasts;
    };
    this.listr = new lib.Listr([{ task: list }], {
      renderer: Renderer,
      exitOnError: false,
      // Ctrl-C belongs to the command (it stops the stack gracefully), not to the display.
      registerSignalListeners: false,
      rendererOptions: {
        logger: new lib.ListrLogger({ useIcons: true, processOutput }),
        spinner: new Spinner(),
        color: iconColors(lib, color),
        formatOutput: 'truncate',
        collapseSkips: false,
        showSkipMessage: false,
        collapseErrors: true,
        showErrorMessage: false,
      },
    });
    const raw = opts.stream.write.bind(opts.stream);
    // A second Ctrl-C exits at once, before close: the cursor must not stay hidden.
    this.restoreCursor = () => void raw('\u001B[?25h');
    process.once('exit', this.restoreCursor);
    this.running = this.listr.run().catch(() => {});
    this.timer = setInterval(() => this.syncAll(), opts.tickMs ?? 100).unref();
  }

  sync(row: Row): void {
    if (!this.listed) return;
    const final = this.final;
    let task = this.tasks.get(row);
    if (!task) {
      this.listr.add({ title: row.head, task: async () => {} });
      task = this.listr.tasks.at(-1)!;
      this.tasks.set(row, task);
      void task.check({});
    }
    const { ListrTaskState: S } = this.lib;
    task.title = row.text(Date.now(), this.color, this.rows.headWidth, final);
    task.state = final && row.unfinished
      ? S.WAITING
      : { working: S.STARTED, waiting: S.WAITING, done: S.COMPLETED, skipped: S.COMPLETED, warning: S.SKIPPED, error: S.FAILED }[row.state];
  }

  private syncAll(): void {
    for (const row of this.rows.all) if (this.final || row.unfinished || !this.tasks.has(row)) this.sync(row);
  }

  /** Draws the last frame, leaves it on screen and gives the terminal back. */
  async end(): Promise<void> {
    clearInterval(this.timer);
    this.final = true;
    this.syncAll();
    this.finish();
    await this.running;
    process.off('exit', this.restoreCursor);
  }
}

/** Every icon coloured by tug's chalk, so that NO_COLOR and --ansi reach listr2's icons too. */
function iconColors(lib: Listr2, c: ChalkInstance): Record<string, (s: string) => string> {
  const L = lib.ListrDefaultRendererLogLevels;
  const out: Record<string, (s: string) => string> = {};
  for (const level of Object.values(L)) out[level] = (s) => c.dim(s);
  out[L.PENDING] = (s) => c.cyan(s);
  out[L.COMPLETED] = (s) => c.green(s);
  out[L.FAILED] = (s) => c.red(s);
  out[L.SKIPPED_WITHOUT_COLLAPSE] = (s) => c.yellow(s);
  return out;
}

/** Stands in for stdout when there is none to protect; listr2 hijacks whatever it is given. */
function nullStream(): NodeJS.WritableStream {
  return { write: () => true } as unknown as NodeJS.WritableStream;
}
