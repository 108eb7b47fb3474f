/** The task's container: process, identity, environment, files and health. */
import { isIP } from 'node:net';
import { type ContainerSpec, type DNSConfig, type HealthConfig } from '../engine/api/swarm.js';
import { type Service } from '../stack/model.js';
import { healthConfig } from '../engine/request/health.js';
import { type Ctx, STACK_LABEL, invalid, nanos, needApi, nonEmpty, prune, refuse } from './context.js';
import { mounts } from './mounts.js';
import { configRefs, secretRefs } from './objects.js';
import { capabilities, privileges } from './security.js';

export function containerSpec(ctx: Ctx, image: string): ContainerSpec {
  const s = ctx.service;
  // An empty list reaches the manager as "unset", which brings the image's entrypoint back.
  if (s.entrypoint?.length === 0) {
    throw refuse(s.name, 'entrypoint', 'an empty entrypoint is the image\'s entrypoint to the swarm', 'name the program itself in entrypoint: (e.g. [sh, -c, "..."])');
  }
  if (s.oom_score_adj !== undefined) needApi(ctx, 'oom_score_adj', '1.46', 'oom_score_adj');
  const caps = capabilities(s.cap_add, s.cap_drop);
  return prune({
    Image: image,
    // The namespace label on the container is how `docker stack ps` finds a stack's tasks.
    Labels: { ...s.labels, [STACK_LABEL.namespace]: ctx.project.name },
    // As docker stack: Compose's entrypoint is the swarm's Command and Compose's command its Args.
    Command: s.entrypoint ?? undefined,
    Args: nonEmpty(s.command ?? undefined),
    Hostname: s.hostname,
    Env: nonEmpty(environment(s)),
    Dir: s.working_dir,
    User: s.user,
    Groups: nonEmpty(s.group_add),
    Privileges: privileges(ctx),
    Init: s.init,
    StopSignal: s.stop_signal,
    TTY: s.tty || undefined,
    OpenStdin: s.stdin_open || undefined,
    ReadOnly: s.read_only || undefined,
    Mounts: mounts(ctx),
    StopGracePeriod: s.stop_grace_period === undefined ? undefined : nanos(s.name, 'stop_grace_period', s.stop_grace_period),
    Healthcheck: healthcheck(ctx),
    Hosts: nonEmpty(hosts(s)),
    DNSConfig: dnsConfig(s),
    Secrets: secretRefs(ctx),
    Configs: configRefs(ctx),
    Isolation: s.isolation,
    Sysctls: nonEmpty(s.sysctls),
    CapabilityAdd: caps.add,
    CapabilityDrop: caps.drop,
    Ulimits: nonEmpty(Object.keys(s.ulimits ?? {}).sort().map((name) => ({ Name: name, Soft: s.ulimits![name]!.soft, Hard: s.ulimits![name]!.hard }))),
    OomScoreAdj: s.oom_score_adj,
  });
}

/** Sorted `K=V`, as docker stack sends them; a variable with no value in tug's environment is left out. */
export function environment(s: Service): string[] {
  return Object.entries(s.environment).flatMap(([k, v]) => (v === null ? [] : [`${k}=${v}`])).sort();
}

/** Swarm writes hosts-file lines: `IP hostname`, the reverse of Compose's `hostname:IP`. */
export function hosts(s: Service): string[] {
  return Object.entries(s.extra_hosts ?? {}).flatMap(([host, ips]) => ips.map((ip) => `${ip} ${host}`));
}

function dnsConfig(s: Service): DNSConfig | undefined {
  for (const ip of s.dns ?? []) {
    // The manager parses these as addresses and would reject the whole spec with a decoding error.
    if (isIP(ip) === 0) throw invalid(s.name, 'dns', `"${ip}" is not an IP address`);
  }
  const out: DNSConfig = prune({ Nameservers: nonEmpty(s.dns), Search: nonEmpty(s.dns_search), Options: nonEmpty(s.dns_opt) });
  return Object.keys(out).length ? out : undefined;
}

export function healthcheck(ctx: Ctx): HealthConfig | undefined {
  return healthConfig(ctx.service, ctx.opts.apiVersion, 'manager', (message, path) => ctx.warnings.push({ code: 'swarm_ignored', message, path }));
}
