/**
 * What the stack's tasks are doing. The Engine API has no task events (a manager reports
 * service events, and container events only for its own node), so the watch lists every task
 * of the stack in ONE call per short interval, for all services at once, and lists again at
 * once when a service event arrives. Gates and `--wait` read the latest listing.
 */
import type { Service, Task } from '../../engine/api/swarm.js';
import type { Engine } from '../../engine/engine.js';
import { STACK_LABEL } from '../../labels.js';
import { taskConvergence, type Convergence, type Want } from '../../swarm/index.js';
import { abortable } from '../../util/abortable.js';

/** Between two listings; an event wakes the watch sooner. */
const INTERVAL_MS = 100;

export class TaskFailed extends Error {
  constructor(readonly service: string, readonly convergence: Extract<Convergence, { state: 'failed' }>) {
    super(convergence.reason);
  }
}

interface Waiter {
  serviceId: string;
  want: Want;
  resolve: () => void;
  reject: (e: unknown) => void;
  name: string;
}

export class TaskWatch {
  private tasks = new Map<string, Task[]>();
  private services = new Map<string, Service>();
  private readonly waiters = new Set<Waiter>();
  private readonly stop = new AbortController();
  private wake?: () => void;
  private failure?: unknown;
  /** Listings made, for the bench and tests. */
  listings = 0;

  private constructor(private readonly engine: Engine, private readonly namespace: string) {}

  static async open(engine: Engine, namespace: string, signal?: AbortSignal): Promise<TaskWatch> {
    const w = new TaskWatch(engine, namespace);
    signal?.addEventListener('abort', () => w.close(), { once: true });
    // Service events (create, update, remove) wake the poller; anything else is not worth a listing.
    const events = await engine.events.subscribe({ type: ['service'] }, w.stop.signal).catch(() => undefined);
    if (events) void w.drain(events);
    void w.loop();
    return w;
  }

  close(): void {
    if (this.stop.signal.aborted) return;
    this.stop.abort();
    this.wake?.();
    for (const w of this.waiters) w.reject(new Error('task watch closed'));
    this.waiters.clear();
  }

  /** Lists again as soon as possible, e.g. right after this command created a service. */
  poke(): void {
    this.wake?.();
  }

  /** The tasks of a service as last listed. */
  tasksOf(serviceId: string): Task[] {
    return this.tasks.get(serviceId) ?? [];
  }

  /** Resolves once the service's tasks meet `want`; rejects with TaskFailed when they cannot. */
  waitFor(serviceId: string, name: string, want: Want, signal?: AbortSignal): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    let w: Waiter | undefined;
    const waiting = abortable(signal, (p) => {
      w = { serviceId, want, name, ...p };
      this.waiters.add(w);
      this.check(w);
    }, () => w && this.waiters.delete(w));
    this.poke();
    return waiting;
  }

  private check(w: Waiter): void {
    const svc = this.services.get(w.serviceId);
    const c = taskConvergence(this.tasksOf(w.serviceId), { ...w.want, now: Date.now(), ...(svc?.UpdateStatus ? { updateStatus: svc.UpdateStatus } : {}) });
    if (c.state === 'converged') {
      this.waiters.delete(w);
      w.resolve();
    } else if (c.state === 'failed') {
      this.waiters.delete(w);
      w.reject(new TaskFailed(w.name, c));
    }
  }

  private async drain(events: AsyncIterable<unknown>): Promise<void> {
    try {
      for await (const _ of events) this.poke();
    } catch {
      // The poller goes on without early wake-ups.
    }
  }

  private async loop(): Promise<void> {
    while (!this.stop.signal.aborted) {
      try {
        const label = [`${STACK_LABEL.namespace}=${this.namespace}`];
        const waitingOnUpdates = [...this.waiters].some((w) => w.want.mode === 'replicated' || w.want.mode === 'global');
        const [tasks, services] = await Promise.all([
          this.engine.tasks.list({ labels: label }),
          // UpdateStatus (rolled back, paused) is on the service, not its tasks.
          waitingOnUpdates ? this.engine.services.list({ labels: label }) : Promise.resolve(undefined),
        ]);
        this.listings++;
        const byService = new Map<string, Task[]>();
        for (const t of tasks) {
          const list = byService.get(t.ServiceID);
          if (list) list.push(t);
          else byService.set(t.ServiceID, [t]);
        }
        this.tasks = byService;
        if (services) this.services = new Map(services.map((s) => [s.ID, s]));
        for (const w of [...this.waiters]) this.check(w);
      } catch (err) {
        if (this.stop.signal.aborted) return;
        this.failure = err;
        for (const w of this.waiters) w.reject(err);
        this.waiters.clear();
        return;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, INTERVAL_MS);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
