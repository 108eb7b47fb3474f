/**
 * Executing an up plan. Everything that does not wait on a dependency happens at once, within
 * the pool's bound: networks and volumes, images, and the creation of every container (a
 * replacement is created beside the container it replaces). Only starting waits: each service
 * starts the moment every dependency meets its condition, as reported by the event stream.
 */
import type { Engine } from '../engine/engine.js';
import type { ContainerSummary, ReplicaRef } from '../plan/observed.js';
import { EngineUnreachableError, ServiceFailedError, TugError } from '../errors.js';
import { DependencyGraph } from '../graph/graph.js';
import { checkScale, checkServiceNames } from '../plan/lifecycle.js';
import { planUp, servicesInScope, type ReplicaAction, type UpPlan, type UpPlanOptions } from '../plan/up.js';
import type { Project } from '../stack/model.js';
import { specCompiler } from './compile.js';
import { checkExternal, createContainer, createNetwork, createVolume, replaceContainer, type ConvergeContext } from './converge.js';
import { stopInOrder, stopTimeout } from './down.js';
import { describeFailure } from './failure.js';
import { ensureImages, plannedImages, refuseUnbuildable, type PullFlag } from './images.js';
import { currentImages, imagesFirst } from './image-ids.js';
import { Pool } from './pool.js';
import { step, type ProgressListener } from './progress.js';
import { ConditionFailed, withWatch, type ContainerWatch } from './watch.js';
import { gate, settleAll, timedOut, type Deadline } from './gates.js';
import { postStart, preStart, preStop, type HookContext } from './hooks.js';
import { EngineLostError, engineLost } from './engine-lost.js';
import { withTimeout } from '../util/abortable.js';
import { listContainers, listNetworks, listVolumes } from './observe.js';
import { startContainer } from './refusals.js';
import { removeWithAnonymousVolumes } from './teardown.js';
import { EngineApiError } from '../engine/api-error.js';
import { UpOutcomes, formatUpSummary, withUpSummary } from './up-summary.js';

export interface UpOptions extends UpPlanOptions {
  removeOrphans?: boolean;
  noStart?: boolean;
  /** Wait for every service to be running and healthy (or done, for one-shot jobs). */
  wait?: boolean;
  /**
   * Bounds the whole run, not only the final wait: the dependency gates, pulls and engine calls
   * queued meanwhile. A gate (or `wait`) still waiting then fails with wait_timeout, naming what
   * it waited on and that container's state; what was started stays as it is.
   */
  waitTimeoutSeconds?: number;
  /** Engine calls in flight at once. */
  parallel?: number;
  /** `--pull`: overrides each service's pull_policy. */
  pull?: PullFlag;
  build?: boolean;
  /** `--no-build`: never build; a missing image of a service with a build section is an error. */
  noBuild?: boolean;
  /** Seconds to wait for a replaced or removed container to stop. */
  stopTimeout?: number;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** The engine-side version label; tug's version. */
  version?: string;
  /**
   * `up -V`: a recreated container gets new anonymous volumes instead of the old container's,
   * which go with it.
   */
  renewAnonVolumes?: boolean;
}

export interface UpResult {
  plan: UpPlan;
  /** Container ids by service, in replica order. */
  containers: Record<string, ReplicaRef[]>;
  /** True when nothing needed to be created, recreated, started or removed. */
  unchanged: boolean;
}

/** How long --wait watches a container without a healthcheck for an early crash. */
const SETTLE_MS = 1000;

/**
 * Brings the project's containers to what its files say: plans against what runs, compiles
 * every container request (refusing what cannot run before anything changes), then creates
 * and starts, each service once its dependencies meet their conditions.
 */
export async function up(engine: Engine, project: Project, opts: UpOptions = {}): Promise<UpResult> {
  const emit: ProgressListener = opts.onProgress ?? (() => {});
  // Taken now: the bound is on the whole run. 0, as before, means none.
  const timer = opts.waitTimeoutSeconds ? withTimeout(undefined, opts.waitTimeoutSeconds * 1000) : undefined;
  const deadline: Deadline | undefined = timer && { signal: timer.signal, seconds: opts.waitTimeoutSeconds! };
  try {
    return await bringUp(engine, project, opts, emit, deadline);
  } finally {
    timer?.clear();
  }
}

async function bringUp(engine: Engine, project: Project, opts: UpOptions, emit: ProgressListener, deadline: Deadline | undefined): Promise<UpResult> {
  const graph = DependencyGraph.fromServices(project.services);
  checkServiceNames(project, opts.targets);
  // Refused before anything is created, rather than at the replica that cannot be made.
  checkScale(project, opts.scale);
  const apiVersion = await engine.system.apiVersion();
  const compiler = specCompiler(project, { apiVersion, version: opts.version, engineHost: engine.system.host });
  // Subscribe before anything starts or is inspected, so that no transition is missed.
  return withWatch(engine, project.name, opts.signal, async (watch, signal) => {
    const observed = {
      containers: await listContainers(engine, { project: project.name, all: true }),
      networks: await listNetworks(engine, { project: project.name }),
      volumes: await listVolumes(engine, { project: project.name }),
    };
    const scope = servicesInScope(project, graph, opts);
    let images = await currentImages(engine, project, scope);
    // Every container request is compiled here: what tug cannot run is refused before any change.
    let plan = planUp(project, graph, observed, compiler.hash, { ...opts, compile: compiler.spec, imageOf: (s) => images.get(s) });
    const first = imagesFirst(project, scope, opts);
    // So is a build the engine's builder cannot do.
    await refuseUnbuildable(engine, project, [...new Set([...first, ...needingImages(plan)])], opts);
    const cpus = await engine.system.info().then((i) => i.cpus, () => undefined);
    const parallel = opts.parallel ?? defaultParallelism(cpus);
    if (first.length > 0) {
      // Built or pulled before converging, as Compose does: a replica whose image changed is
      // recreated from the new one (and the run does not build or pull them again).
      await ensureImages(engine, project, first, { ...opts, signal }, emit, new Pool(parallel));
      images = await currentImages(engine, project, scope);
      plan = planUp(project, graph, observed, compiler.hash, { ...opts, compile: compiler.spec, imageOf: (s) => images.get(s) });
    }
    warnAboveEngineCpus(project, plan, cpus, emit);
    return new UpRun(engine, project, graph, plan, { ...opts, parallel, imagesReady: new Set(first) }, emit, watch, signal, apiVersion, deadline).execute();
  });
}

/** The services of a plan that create containers, and so need their image. */
function needingImages(plan: UpPlan): string[] {
  return plan.services.filter((s) => s.replicas.some((r) => r.kind === 'create' || r.kind === 'recreate')).map((s) => s.service);
}

/** An image `up` would pull or build before creating containers. */
export interface PlannedImage {
  ref: string;
  service: string;
  action: 'pull' | 'build';
}

/**
 * What `up` would do, without doing it (`--dry-run`): the same checks, observation and plan,
 * and which images it would pull or build; only reads are made of the engine.
 */
export async function planUpOnly(engine: Engine, project: Project, opts: UpOptions = {}): Promise<{ plan: UpPlan; images: PlannedImage[] }> {
  const graph = DependencyGraph.fromServices(project.services);
  checkServiceNames(project, opts.targets);
  checkScale(project, opts.scale);
  const apiVersion = await engine.system.apiVersion();
  const compiler = specCompiler(project, { apiVersion, version: opts.version, engineHost: engine.system.host });
  const observed = {
    containers: await listContainers(engine, { project: project.name, all: true }),
    networks: await listNetworks(engine, { project: project.name }),
    volumes: await listVolumes(engine, { project: project.name }),
  };
  const images = await currentImages(engine, project, servicesInScope(project, graph, opts));
  const plan = planUp(project, graph, observed, compiler.hash, { ...opts, compile: compiler.spec, imageOf: (s) => images.get(s) });
  const needImage = needingImages(plan);
  await refuseUnbuildable(engine, project, needImage, opts);
  return { plan, images: await plannedImages(engine, project, needImage, opts) };
}

class UpRun {
  private readonly pool: Pool;
  /** Per service: resolves with its containers once they exist (created or kept). */
  private readonly created = new Map<string, Promise<ReplicaRef[]>>();
  /** Per service: resolves once its replicas are started (or were already running). */
  private readonly started = new Map<string, Promise<void>>();
  private changed = false;
  /** Containers this run started or restarted: what an interruption stops again. */
  private readonly startedByRun = new Set<string>();
  private readonly converge: ConvergeContext;
  private readonly hooks: HookContext;
  /** The interruption or the deadline, whichever comes first: what queued engine calls and waits stop on. */
  private readonly work: AbortSignal;
  /** What each service came to, for the summary of a run that fails part-way. */
  private readonly outcomes: UpOutcomes;

  constructor(
    private readonly engine: Engine,
    private readonly project: Project,
    private readonly graph: DependencyGraph,
    private readonly plan: UpPlan,
    private readonly opts: UpOptions & { imagesReady?: ReadonlySet<string> },
    private readonly emit: ProgressListener,
    private readonly watch: ContainerWatch,
    private readonly signal: AbortSignal,
    apiVersion: string,
    private readonly deadline?: Deadline,
  ) {
    this.work = deadline ? AbortSignal.any([signal, deadline.signal]) : signal;
    this.pool = new Pool(opts.parallel ?? 16);
    this.converge = { engine, project, emit, apiVersion, version: opts.version, slot: (task) => this.slot(task), renewAnonVolumes: opts.renewAnonVolumes };
    this.hooks = { engine, project, emit, signal: this.work, version: opts.version };
    this.outcomes = new UpOutcomes(project, graph, plan.services.map((s) => ({ service: s.service, kept: s.replicas.every((r) => r.kind === 'keep') })));
  }

  async execute(): Promise<UpResult> {
    try {
      const result = await this.run();
      // A signal that arrived as the last step finished still asks to undo what was started.
      this.signal.throwIfAborted();
      return result;
    } catch (err) {
      if (!this.signal.aborted) throw this.summarise(this.explain(err));
      // A stop that fails has reported itself; the interruption is still what ended the run.
      await this.stopStarted().catch(() => {});
      throw this.signal.reason;
    }
  }

  /**
   * A failure part-way leaves what runs running (as Compose does) and says where each service
   * ended: the summary goes out as a progress event and travels on the error, printed last.
   */
  private summarise(err: unknown): unknown {
    // With the engine gone, what runs is unknown: the error says so, and nothing more is claimed.
    if (err instanceof EngineUnreachableError) return err;
    const summary = this.outcomes.summary();
    this.emit({ resource: 'project', name: this.project.name, action: 'summary', state: 'error', time: Date.now(), message: formatUpSummary(summary).trimEnd(), summary });
    return withUpSummary(err, summary);
  }

  /** A failure as the user should read it: the engine gone, or the deadline passed mid-step. */
  private explain(err: unknown): unknown {
    if (err instanceof EngineUnreachableError && !(err instanceof EngineLostError)) {
      return engineLost(this.engine, 'it answered when up began, and stopped answering while up ran', err);
    }
    if (this.deadline?.signal.aborted && !(err instanceof TugError)) {
      return new ServiceFailedError('wait_timeout', `up did not finish within ${this.deadline.seconds}s (--wait-timeout): ${(err as Error).message ?? err}`,
        'raise --wait-timeout');
    }
    return err;
  }

  private async run(): Promise<UpResult> {
    const { plan, project } = this;
    // Containers that exist already may have moved on before we subscribed: seed them now.
    await Promise.all(
      plan.services.flatMap((s) => s.replicas).filter((r) => r.kind === 'keep' || r.kind === 'start').map((r) =>
        this.pool.run(async () => this.watch.seed(await this.engine.containers.inspect((r as { container: ContainerSummary }).container.id))),
      ),
    );
    await settleAll([
      ...plan.networks.map((k) => createNetwork(this.converge, k)),
      ...plan.volumes.map((k) => createVolume(this.converge, k)),
      checkExternal(this.engine, project, plan.services.map((s) => project.services[s.service]!)),
      ...plan.services.flatMap((s) => s.remove.map((c) => this.removeContainer(c, 'scale down'))),
      // Awaited like any other removal: up must not resolve (or lose a failure) while one is in flight.
      ...this.handleOrphans(),
    ]);
    const needImage = needingImages(plan).filter((s) => !this.opts.imagesReady?.has(s));
    await ensureImages(this.engine, project, needImage, { ...this.opts, signal: this.work }, this.emit, this.pool)
      .catch((err: unknown) => { throw this.outcomes.record(err); });
    this.changed ||= plan.networks.length + plan.volumes.length > 0 || plan.services.some((s) => s.remove.length > 0);

    const services = plan.services.map((s) => s.service);
    const { outcomes } = this;
    for (const name of services) this.created.set(name, outcomes.own(name, this.createService(name)));
    if (!this.opts.noStart) for (const name of services) this.started.set(name, outcomes.own(name, this.startService(name), { finishes: true }));
    // Nothing will start the replacements, so nothing would retire what they replace: it goes
    // now (as in Compose's create), instead of running on aside with the service's ports.
    else for (const name of services) this.started.set(name, outcomes.own(name, this.retireReplaced(name), { finishes: true }));
    await settleAll([...this.created.values(), ...this.started.values()]);
    if (this.opts.wait && !this.opts.noStart) await this.waitAll(services);
    const containers: UpResult['containers'] = {};
    for (const name of services) containers[name] = await this.created.get(name)!;
    return { plan, containers, unchanged: !this.changed };
  }

  private handleOrphans(): Promise<void>[] {
    const removals: Promise<void>[] = [];
    for (const c of this.plan.orphans) {
      if (this.opts.removeOrphans) removals.push(this.removeContainer(c, 'orphan'));
      else {
        this.emit({
          resource: 'container', name: c.name, service: c.service, action: 'orphan', state: 'warning', time: Date.now(),
          message: `container ${c.name} belongs to no service of this project (service "${c.service}"); remove it with --remove-orphans`,
        });
      }
    }
    return removals;
  }

  private async createService(name: string): Promise<ReplicaRef[]> {
    const plan = this.plan.services.find((s) => s.service === name)!;
    // A container that joins another's namespaces or volumes needs that container to exist.
    const refs = this.graph.edgesFrom(name).filter((e) => e.kind !== 'depends_on' && e.kind !== 'links').map((e) => e.to);
    await this.outcomes.waiting(name, Promise.all(refs.map((r) => this.created.get(r)).filter(Boolean)));
    const out = await Promise.all(plan.replicas.map((r) => this.createReplica(name, r)));
    return out.sort((a, b) => a.number - b.number);
  }

  private async createReplica(service: string, r: ReplicaAction): Promise<ReplicaRef> {
    if (r.kind === 'keep' || r.kind === 'start' || r.kind === 'restart') {
      return { id: r.container.id, name: r.container.name, number: r.number };
    }
    this.signal.throwIfAborted();
    this.changed = true;
    if (!r.spec) throw new Error(`bug: replica ${r.number} of ${service} was planned without its container request`);
    const made = r.kind === 'recreate'
      ? await replaceContainer(this.converge, r.container, r.spec)
      : await createContainer(this.converge, r.spec, service);
    return { ...made, number: r.number };
  }

  private async startService(name: string): Promise<void> {
    const containers = await this.created.get(name)!;
    const plan = this.plan.services.find((s) => s.service === name)!;
    // Running and up to date: nothing waits, nothing to report.
    if (plan.replicas.every((r) => r.kind === 'keep')) return;
    await this.outcomes.waiting(name, this.gates(name));
    const svc = this.project.services[name]!;
    // pre_start: once for the service, when none of its replicas runs on (Compose's rule), after
    // the containers being replaced are gone and before any replica starts.
    const retired = !!svc.pre_start?.length && plan.replicas.every((r) => r.kind !== 'keep' && r.kind !== 'restart');
    if (retired) {
      this.changed = true;
      await Promise.all(plan.replicas.map((r) => (r.kind === 'recreate' ? this.removeContainer(r.container, 'replaced') : undefined)));
      await preStart(this.hooks, svc, containers[0]!);
    }
    await Promise.all(plan.replicas.map(async (r, i) => {
      const c = containers[i]!;
      if (r.kind === 'keep') return;
      this.signal.throwIfAborted();
      this.changed = true;
      if (r.kind === 'recreate' && !retired) await this.removeContainer(r.container, 'replaced');
      if (r.kind === 'restart') {
        const base = { resource: 'container', name: c.name, service: name, action: 'restart' } as const;
        await step(this.emit, base, async () => {
          const seconds = await preStop(this.hooks, name, c, stopTimeout(this.project, svc.name, this.opts.stopTimeout), base);
          await this.slot(async () => {
            await this.engine.containers.stop(c.id, seconds);
            // The stop's `die` may arrive after stop returns: seen before the reset, it cannot
            // be mistaken for the new life's (and fail a gate or --wait on it).
            await this.watch.waitFor(c.id, 'exited', this.work);
            this.watch.reset(c.id);
            await startContainer(this.engine, c.id, { signal: this.work });
          });
          await postStart(this.hooks, name, c, base);
        });
      } else {
        this.watch.reset(c.id);
        const base = { resource: 'container', name: c.name, service: name, action: 'start' } as const;
        await step(this.emit, base, async () => {
          await this.slot(() => startContainer(this.engine, c.id, { signal: this.work }));
          // Marked before its hooks run: an interruption meanwhile stops it again.
          this.startedByRun.add(c.id);
          await postStart(this.hooks, name, c, base);
        });
      }
      this.startedByRun.add(c.id);
      this.watch.markStarted(c.id);
      if (svc.healthcheck && !svc.healthcheck.disable) this.watch.expectHealth(c.id);
    }));
  }

  private async retireReplaced(name: string): Promise<void> {
    await this.created.get(name);
    const plan = this.plan.services.find((s) => s.service === name)!;
    await Promise.all(plan.replicas.map((r) => (r.kind === 'recreate' ? this.removeContainer(r.container, 'replaced') : undefined)));
  }

  /** Waits until every dependency of `name` meets its condition; fails fast when one cannot. */
  private async gates(name: string): Promise<void> {
    const ctx = {
      engine: this.engine, project: this.project, graph: this.graph, watch: this.watch, pool: this.pool, emit: this.emit, signal: this.signal,
      deadline: this.deadline,
    };
    const edges = this.graph.edgesFrom(name).filter((e) => this.created.has(e.to));
    await Promise.all(edges.map(async (edge) => gate(ctx, name, edge, await this.created.get(edge.to)!, this.started.get(edge.to))));
  }

  private async waitAll(services: string[]): Promise<void> {
    const { deadline } = this;
    const signal = this.work;
    await Promise.all(services.map(async (name) => {
      const containers = await this.created.get(name)!;
      const svc = this.project.services[name]!;
      const probed = svc.healthcheck !== undefined && !svc.healthcheck.disable;
      // Without a probe there is no health to report: the service is ready once it runs, or,
      // for a one-shot job, once it has exited 0.
      const outcome = () => (containers.length > 0 && containers.every((c) => this.watch.observation(c.id).exitCode === 0) ? 'completed' : 'running');
      await this.outcomes.own(name, step(this.emit, { resource: 'service', name, service: name, action: probed ? 'healthy' : 'ready' }, async () => {
        try {
          await Promise.all(containers.map(async (c) => {
            await this.watch.waitFor(c.id, 'running-or-done', signal);
            // Without a probe, "running" is all the engine can say; a crash right after start
            // must still fail --wait, so a die event within the settle window counts.
            if (!probed) await this.settle(c.id, signal);
          }));
        } catch (err) {
          this.signal.throwIfAborted();
          if (err instanceof ConditionFailed) throw await describeFailure(this.engine, { dependency: name, failure: err });
          if (deadline?.signal.aborted) {
            throw await timedOut(this.engine, deadline, `service "${name}" was not ${probed ? 'healthy' : 'ready'}`, '', containers.map((c) => c.id),
              `raise --wait-timeout, or check its healthcheck with: tug logs ${name}`);
          }
          throw err;
        }
      }, () => (probed ? undefined : outcome())));
    }));
  }

  private async settle(id: string, signal: AbortSignal): Promise<void> {
    const window = withTimeout(signal, SETTLE_MS);
    try {
      await this.watch.waitFor(id, 'exited', window.signal);
    } catch (err) {
      if (signal.aborted || !window.timedOut()) throw err;
      return; // still running after the window
    } finally {
      window.clear();
    }
    const { exitCode } = this.watch.observation(id);
    if (exitCode !== 0) throw new ConditionFailed(id, 'exited', exitCode);
  }

  /** A pool slot for an engine call that changes something: once interrupted, queued calls are dropped, not made. */
  private slot<T>(task: () => Promise<T>): Promise<T> {
    return this.pool.run(() => {
      this.work.throwIfAborted();
      return task();
    });
  }

  /**
   * After an interruption, what this run started is stopped again (dependents first), leaving
   * containers that exist, carry the project's labels and do not run: the next `up` starts
   * them. Containers created but never started are kept for the same reason.
   */
  private async stopStarted(): Promise<void> {
    if (this.startedByRun.size === 0) return;
    const running = await listContainers(this.engine, { project: this.project.name });
    const ours = running.filter((c) => this.startedByRun.has(c.id));
    await stopInOrder(this.engine, this.project, ours, { timeout: this.opts.stopTimeout }, this.emit, this.pool);
  }

  /**
   * A replica scaled away takes its anonymous volumes with it (named volumes stay); a replaced
   * container leaves them to its replacement (unless -V renewed them: then they go with it),
   * and an orphan keeps them, as Compose does.
   */
  private async removeContainer(c: ContainerSummary, why: 'scale down' | 'replaced' | 'orphan'): Promise<void> {
    this.changed = true;
    const base = { resource: 'container', name: c.name, service: c.service, action: 'remove', message: why } as const;
    const volumes = await step(this.emit, base, async () => {
      let seconds = stopTimeout(this.project, c.service, this.opts.stopTimeout);
      // A container being replaced or scaled away gets its pre_stop hooks (an orphan has no service to say any).
      if (c.state === 'running' && !c.oneoff && why !== 'orphan') seconds = await preStop(this.hooks, c.service, c, seconds, base);
      return this.slot(async () => {
        if (c.state === 'running' || c.state === 'restarting' || c.state === 'paused') await this.engine.containers.stop(c.id, seconds);
        if (why === 'scale down' || (why === 'replaced' && this.opts.renewAnonVolumes)) {
          return removeWithAnonymousVolumes(this.engine, this.project.name, c.id, { force: true });
        }
        await this.engine.containers.remove(c.id, { force: true });
        return [];
      }).catch((err: unknown) => {
        // Removed meanwhile (by another command converging the same way): what was wanted.
        if (err instanceof EngineApiError && err.status === 404) return [];
        throw err;
      });
    });
    for (const name of volumes) {
      this.emit({ resource: 'volume', name, service: c.service, action: 'remove', state: 'done', time: Date.now(), message: `anonymous volume of ${c.name}` });
    }
  }
}

/**
 * Engine calls in flight when --parallel is not given: mostly waiting on the engine's own
 * work (namespaces, veths, iptables), so a few per engine CPU, within sane bounds.
 */
function defaultParallelism(engineCpus: number | undefined): number {
  return Math.min(64, Math.max(8, (engineCpus ?? 2) * 8));
}

/** The engine, not the machine tug runs on, decides how many CPUs a container can get. */
function warnAboveEngineCpus(project: Project, plan: UpPlan, engineCpus: number | undefined, emit: ProgressListener): void {
  if (!engineCpus) return;
  for (const { service } of plan.services) {
    const cpus = project.services[service]!.cpus;
    if (cpus !== undefined && cpus > engineCpus) {
      emit({ resource: 'service', name: service, service, action: 'create', state: 'warning', time: Date.now(),
        message: `service "${service}" asks for ${cpus} CPUs but the engine has ${engineCpus}` });
    }
  }
}
