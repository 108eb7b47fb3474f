/**
 * `tug --swarm up`: the stack deployed as swarm services, in dependency order. Nothing does
 * that today: `docker stack deploy` creates every service at once and lets a db-backed api
 * crash-loop until its db is up. Here each service is created (or updated) only once the
 * services it depends on meet their condition, read from their tasks: running, running and
 * healthy (a task with a healthcheck is `running` only once healthy), or complete for jobs.
 * Independent services go at once; everything is refused, at its line, before the swarm is
 * touched; a second deploy of an unchanged stack changes nothing.
 */
import type { Service, ServiceSpec, TaskSpec } from '../../engine/api/swarm.js';
import { EngineApiError } from '../../engine/api-error.js';
import type { Engine } from '../../engine/engine.js';
import { ExitCode, formatLocation, ServiceFailedError, TugError } from '../../errors.js';
import { STACK_LABEL } from '../../labels.js';
import type { Project } from '../../stack/model.js';
import { bindObjectIds, desiredStack, planDeploy, referencedBy, wantOf, type DeployPlan, type Gate, type ServiceStep } from '../../swarm/index.js';
import { settleAll } from '../gates.js';
import { step, type ProgressListener } from '../progress.js';
import { translate } from './config.js';
import { planImages, provideImages } from './images.js';
import { requireManager } from './manager.js';
import { describeTaskFailure } from './report.js';
import { TaskFailed, TaskWatch } from './watch.js';

export interface SwarmUpOptions {
  /** Where nodes pull the images tug builds or only the manager has (`--registry`, `x-tug.registry`). */
  registry?: string;
  /** Wait until every service has converged (running, healthy, or a job complete). */
  wait?: boolean;
  waitTimeoutSeconds?: number;
  removeOrphans?: boolean;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

export interface SwarmUpResult {
  plan: DeployPlan;
  /** Service ids by Compose name. */
  services: Record<string, string>;
  /** Nothing was created, updated or removed. */
  unchanged: boolean;
}

/** A deployed service: where its tasks are, and which of them belong to this deploy. */
interface Deployed {
  id: string;
  spec: ServiceSpec;
  /** The task template as the manager holds it: only tasks made from it are this deploy's. */
  template?: TaskSpec;
  /** When the manager recorded this deploy's change: an update status older than that is history. */
  updatedAt?: string;
  /** Created or updated by this deploy (not left unchanged). */
  changed: boolean;
  jobIteration?: number;
}

export async function swarmUp(engine: Engine, project: Project, opts: SwarmUpOptions = {}): Promise<SwarmUpResult> {
  const emit = opts.onProgress ?? (() => {});
  const signal = opts.signal ?? new AbortController().signal;
  const manager = await requireManager(engine);
  // Refusals first: the translation with the references as the file names them, then where
  // each image will come from. Nothing on the swarm or the registry has changed yet.
  translate(project, { apiVersion: manager.apiVersion });
  const sources = await planImages(engine, project, opts.registry);
  const images = await provideImages(engine, project, sources, emit, signal);
  const config = translate(project, { apiVersion: manager.apiVersion, images });
  for (const w of config.warnings) {
    const where = formatLocation(w.location);
    emit({ resource: 'service', name: w.path ?? project.name, action: 'create', state: 'warning', time: Date.now(), message: where ? `${where}: ${w.message}` : w.message });
  }
  const namespace = [`${STACK_LABEL.namespace}=${project.name}`];
  const watch = await TaskWatch.open(engine, project.name, signal);
  try {
    const [services, networks, secrets, configs] = await Promise.all([
      engine.services.list({ labels: namespace }),
      engine.networks.list({ labels: namespace }),
      engine.secrets.list({ labels: namespace }),
      engine.configs.list({ labels: namespace }),
    ]);
    const plan = planDeploy(desiredStack(project, config), {
      services, networks: networks.map((n) => ({ Id: n.id, Name: n.name })), secrets, configs,
    }, { removeOrphans: opts.removeOrphans });
    for (const note of plan.notes) emit({ resource: 'project', name: project.name, action: 'create', state: 'warning', time: Date.now(), message: note });
    await checkExternalNetworks(engine, config.externalNetworks);

    await settleAll([
      ...plan.networks.create.map((n) => step(emit, { resource: 'network', name: n.Name, action: 'create' }, () => engine.networks.create(n))),
      ...plan.secrets.create.map((s) => step(emit, { resource: 'secret', name: s.Name, action: 'create' }, () => engine.secrets.create(s))),
      ...plan.configs.create.map((c) => step(emit, { resource: 'config', name: c.Name, action: 'create' }, () => engine.configs.create(c))),
    ]);
    const ids = await objectIds(engine, namespace);
    const run = new DeployRun(engine, watch, emit, signal, ids);
    const deployed = await run.services(plan.services);
    for (const o of plan.orphans.filter((o) => !plan.removeServices.includes(o))) {
      emit({ resource: 'service', name: o.name, action: 'orphan', state: 'warning', time: Date.now(),
        message: `service ${o.name} belongs to no service of this project; remove it with --remove-orphans` });
    }
    await settleAll(plan.removeServices.map((o) => step(emit, { resource: 'service', name: o.name, action: 'remove' }, () => engine.services.remove(o.id))));
    if (opts.wait) await run.converge(plan.services.map((s) => s.service), deployed, opts.waitTimeoutSeconds);
    await removeUnused(engine, plan, namespace, emit);
    const unchanged = plan.services.every((s) => s.action === 'unchanged') && plan.networks.create.length + plan.secrets.create.length
      + plan.configs.create.length + plan.removeServices.length === 0;
    return { plan, services: Object.fromEntries([...deployed].map(([name, d]) => [name, d.id])), unchanged };
  } finally {
    watch.close();
  }
}

/** External networks are the user's: they must exist, and be swarm-scoped for services to join them. */
async function checkExternalNetworks(engine: Engine, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const n = await engine.networks.inspect(name);
    if (!n) {
      throw new TugError('external_missing', `network ${name} is declared external but does not exist on the swarm`,
        { exitCode: ExitCode.invalidStack, hint: `create it with: docker network create --driver overlay --attachable ${name}` });
    }
  }
}

async function objectIds(engine: Engine, namespace: string[]): Promise<{ secrets: Record<string, string>; configs: Record<string, string> }> {
  const [secrets, configs] = await Promise.all([engine.secrets.list({}), engine.configs.list({})]);
  void namespace; // external objects are looked up by name, wherever they come from
  return {
    secrets: Object.fromEntries(secrets.map((s) => [s.Spec.Name, s.ID])),
    configs: Object.fromEntries(configs.map((c) => [c.Spec.Name, c.ID])),
  };
}

/**
 * Secrets and configs of earlier deploys that no service uses any more; one still in use stays
 * for a later deploy. So does one a service can roll back to (its PreviousSpec names it), read
 * from the manager now: the deploy just made the replaced spec the one to roll back to.
 */
async function removeUnused(engine: Engine, plan: DeployPlan, namespace: string[], emit: ProgressListener): Promise<void> {
  if (plan.removeAfter.secrets.length + plan.removeAfter.configs.length === 0) return;
  const held = referencedBy(await engine.services.list({ labels: namespace }));
  const gone = async (kind: 'secret' | 'config', id: string, name: string) => {
    if ((kind === 'secret' ? held.secrets : held.configs).has(name)) return;
    try {
      await (kind === 'secret' ? engine.secrets.remove(id) : engine.configs.remove(id));
      emit({ resource: kind, name, action: 'remove', state: 'done', time: Date.now() });
    } catch (err) {
      // Tasks of the previous version may still hold it while the update rolls on.
      if (!(err instanceof EngineApiError && (err.status === 400 || err.status === 409 || err.status === 500))) throw err;
    }
  };
  await Promise.all([
    ...plan.removeAfter.secrets.map((s) => gone('secret', s.id, s.name)),
    ...plan.removeAfter.configs.map((c) => gone('config', c.id, c.name)),
  ]);
}

class DeployRun {
  private readonly steps = new Map<string, Promise<Deployed>>();

  constructor(
    private readonly engine: Engine,
    private readonly watch: TaskWatch,
    private readonly emit: ProgressListener,
    private readonly signal: AbortSignal,
    private readonly ids: { secrets: Record<string, string>; configs: Record<string, string> },
  ) {}

  /** Every step at once; each waits for its own gates. Dependencies come first in `steps`. */
  async services(steps: ServiceStep[]): Promise<Map<string, Deployed>> {
    for (const s of steps) this.steps.set(s.service, this.deploy(s));
    await settleAll([...this.steps.values()]);
    const out = new Map<string, Deployed>();
    for (const s of steps) out.set(s.service, await this.steps.get(s.service)!);
    return out;
  }

  private async deploy(s: ServiceStep): Promise<Deployed> {
    // An unchanged service is left as it runs: nothing of it waits for its dependencies.
    if (s.action === 'unchanged') return this.settled(s.id, false);
    await Promise.all(s.gate.map((g) => this.gate(s.service, g)));
    this.signal.throwIfAborted();
    const spec = bindObjectIds(s.spec, this.ids);
    if (s.action === 'create') {
      const id = await step(this.emit, { resource: 'service', name: s.name, service: s.service, action: 'create' }, async () => {
        const r = await this.engine.services.create(spec);
        this.warnAbout(s, r.warnings);
        return r.id;
      });
      this.watch.poke();
      return this.settled(id, true);
    }
    await step(this.emit, { resource: 'service', name: s.name, service: s.service, action: 'update' }, () => this.update(s.id, s.version, spec, s));
    this.watch.poke();
    return this.settled(s.id, true);
  }

  /** An update sends the whole spec at the version read; another writer in between means read again and resend. */
  private async update(id: string, version: number, spec: ServiceSpec, s: ServiceStep): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await this.engine.services.update(id, version, spec);
        return this.warnAbout(s, r.warnings);
      } catch (err) {
        if (!(err instanceof EngineApiError) || !/update out of sequence/i.test(err.message) || attempt >= 4) throw err;
        const now = await this.engine.services.inspect(id);
        if (!now) throw err;
        version = now.Version.Index;
      }
    }
  }

  private warnAbout(s: ServiceStep, warnings: string[]): void {
    for (const message of warnings) this.emit({ resource: 'service', name: s.name, service: s.service, action: s.action === 'create' ? 'create' : 'update', state: 'warning', time: Date.now(), message });
  }

  /** The service as the manager holds it after the call: its task template tells this deploy's tasks from the last one's. */
  private async settled(id: string, changed: boolean): Promise<Deployed> {
    const svc: Service | undefined = await this.engine.services.inspect(id);
    if (!svc) throw new TugError('engine_error', `service ${id} disappeared while being deployed`);
    return { id, spec: svc.Spec, template: svc.Spec.TaskTemplate, changed, ...(svc.UpdatedAt ? { updatedAt: svc.UpdatedAt } : {}), ...jobIteration(svc) };
  }

  private async gate(dependent: string, g: Gate): Promise<void> {
    const dep = await this.steps.get(g.service);
    if (!dep) return; // not in this deploy (an optional dependency left out)
    await step(this.emit, { resource: 'service', name: dependent, service: dependent, action: 'wait', message: `waiting for ${g.service} (${g.condition})` }, async () => {
      try {
        await this.watch.waitFor(dep.id, g.service, { ...wantOf(dep.spec, g.condition), ...thisDeploy(dep) }, this.signal);
      } catch (err) {
        this.signal.throwIfAborted();
        if (!(err instanceof TaskFailed)) throw err;
        if (!g.required) {
          this.emit({ resource: 'service', name: dependent, service: dependent, action: 'wait', state: 'warning', time: Date.now(),
            message: `optional dependency "${g.service}" failed (${err.message}): deploying "${dependent}" anyway` });
          return;
        }
        throw await describeTaskFailure(this.engine, err, { dependent, code: 'dependency_failed' });
      }
    });
  }

  /** `--wait`: every service converged, watched all at once, bounded by the timeout. */
  async converge(names: string[], deployed: Map<string, Deployed>, timeoutSeconds?: number): Promise<void> {
    const deadline = timeoutSeconds ? AbortSignal.timeout(timeoutSeconds * 1000) : undefined;
    const signal = deadline ? AbortSignal.any([this.signal, deadline]) : this.signal;
    await settleAll(names.map(async (name) => {
      const d = deployed.get(name)!;
      const want = wantOf(d.spec, isJob(d.spec) ? 'service_completed_successfully' : 'service_started');
      await step(this.emit, { resource: 'service', name: d.spec.Name, service: name, action: 'converge' }, async () => {
        try {
          // A service this deploy changed has converged once the manager says the update is done.
          await this.watch.waitFor(d.id, name, { ...want, ...thisDeploy(d), untilUpdated: d.changed }, signal);
        } catch (err) {
          this.signal.throwIfAborted();
          if (err instanceof TaskFailed) throw await describeTaskFailure(this.engine, err);
          if (deadline?.aborted) {
            throw new ServiceFailedError('wait_timeout', `service "${name}" did not converge within ${timeoutSeconds}s`,
              'raise --wait-timeout, or look at its tasks: tug --swarm ps -a');
          }
          throw err;
        }
      });
    }));
  }
}

function isJob(spec: ServiceSpec): boolean {
  return spec.Mode.ReplicatedJob !== undefined || spec.Mode.GlobalJob !== undefined;
}

function jobIteration(svc: Service): { jobIteration?: number } {
  return svc.JobStatus ? { jobIteration: svc.JobStatus.JobIteration.Index } : {};
}

function thisDeploy(d: Deployed): { template?: TaskSpec; jobIteration?: number; updateSince?: string } {
  return {
    ...(d.template ? { template: d.template } : {}),
    ...(d.jobIteration !== undefined ? { jobIteration: d.jobIteration } : {}),
    ...(d.updatedAt ? { updateSince: d.updatedAt } : {}),
  };
}
