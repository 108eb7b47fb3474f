/** security_opt, credential_spec and capabilities: the privileges a swarm ContainerSpec can carry. */
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { type Privileges, type SELinuxContext } from '../engine/api/swarm.js';
import { type Ctx, invalid, isPlainObject, needApi, prune, refuse } from './context.js';

export function privileges(ctx: Ctx): Privileges | undefined {
  const out: Privileges = { ...securityOpts(ctx), ...credentialSpec(ctx) };
  return Object.keys(out).length ? out : undefined;
}

function securityOpts(ctx: Ctx): Privileges {
  const { service } = ctx;
  const key = 'security_opt';
  const out: Privileges = {};
  const selinux: SELinuxContext = {};
  for (const opt of service.security_opt ?? []) {
    const sep = /[=:]/.exec(opt);
    const name = sep ? opt.slice(0, sep.index) : opt;
    const value = sep ? opt.slice(sep.index + 1) : undefined;
    switch (name) {
      case 'no-new-privileges':
        if (value !== undefined && value !== 'true' && value !== 'false') throw invalid(service.name, key, `invalid value "${opt}"`, 'expected no-new-privileges or no-new-privileges:true');
        needApi(ctx, key, '1.44', 'no-new-privileges');
        if (value !== 'false') out.NoNewPrivileges = true;
        break;
      case 'seccomp':
        needApi(ctx, key, '1.44', 'a seccomp setting');
        out.Seccomp = seccomp(ctx, value ?? '');
        break;
      case 'apparmor':
        // Swarm can only turn AppArmor off; a named profile would silently become the default one.
        if (value !== 'unconfined') throw refuse(service.name, key, `swarm cannot load the AppArmor profile "${value ?? ''}"`, 'use apparmor=unconfined, or the default profile (no option)');
        needApi(ctx, key, '1.44', 'apparmor=unconfined');
        out.AppArmor = { Mode: 'disabled' };
        break;
      case 'label':
        Object.assign(selinux, selinuxLabel(ctx, value ?? ''));
        break;
      default:
        throw refuse(service.name, key, `swarm has no equivalent of "${opt}"`, 'swarm supports no-new-privileges, seccomp, apparmor=unconfined and label options');
    }
  }
  if (Object.keys(selinux).length) out.SELinuxContext = selinux;
  return out;
}

function seccomp(ctx: Ctx, value: string): NonNullable<Privileges['Seccomp']> {
  if (value === 'unconfined') return { Mode: 'unconfined' };
  if (value === 'builtin' || value === 'default') return { Mode: 'default' };
  // The manager takes the profile itself, not a path a node may not have.
  const path = isAbsolute(value) ? value : resolvePath(ctx.project.working_dir, value);
  if (!ctx.opts.readFile) throw refuse(ctx.service.name, 'security_opt', `cannot read the seccomp profile ${path} here`);
  let profile: string;
  try {
    profile = JSON.stringify(JSON.parse(Buffer.from(ctx.opts.readFile(path)).toString('utf8')));
  } catch (err) {
    throw invalid(ctx.service.name, 'security_opt', `seccomp profile ${path} is not readable JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  return { Mode: 'custom', Profile: Buffer.from(profile).toString('base64') };
}

function selinuxLabel(ctx: Ctx, value: string): SELinuxContext {
  if (value === 'disable') return { Disable: true };
  const colon = value.indexOf(':');
  const field = colon < 0 ? value : value.slice(0, colon);
  const v = colon < 0 ? '' : value.slice(colon + 1);
  const fields: Record<string, keyof SELinuxContext> = { user: 'User', role: 'Role', type: 'Type', level: 'Level' };
  const target = Object.hasOwn(fields, field) ? fields[field] : undefined;
  if (target === undefined || v === '') throw invalid(ctx.service.name, 'security_opt', `invalid SELinux option "label:${value}"`, 'expected label:disable or label:user|role|type|level:VALUE');
  return { [target]: v };
}

function credentialSpec(ctx: Ctx): Privileges {
  const { service } = ctx;
  const raw = (service as { credential_spec?: unknown }).credential_spec;
  if (raw === undefined) return {};
  if (!isPlainObject(raw)) throw invalid(service.name, 'credential_spec', 'expected a mapping with file, registry or config');
  const given = (['config', 'file', 'registry'] as const).filter((k) => raw[k] !== undefined);
  if (given.length !== 1) throw invalid(service.name, 'credential_spec', given.length ? `set only one of ${given.join(', ')}` : 'expected one of file, registry or config');
  // A config-based spec must name the config's ID, known only once it exists; file and registry need nothing of the stack.
  if (given[0] === 'config') throw refuse(service.name, 'credential_spec.config', 'tug cannot yet pass a credential spec held in a config', 'use credential_spec.file or credential_spec.registry');
  return { CredentialSpec: prune({ File: strOf(raw.file), Registry: strOf(raw.registry) }) };
}

function strOf(v: unknown): string | undefined {
  return v === undefined ? undefined : String(v);
}

/**
 * As docker stack (and `docker service create`): upper-case with a CAP_ prefix, ALL wins over
 * any other, adding beats dropping, no duplicates, sorted.
 */
export function capabilities(add: string[] | undefined, drop: string[] | undefined): { add?: string[]; drop?: string[] } {
  const norm = (c: string) => {
    const u = c.trim().toUpperCase();
    return u === 'ALL' || u === 'RESET' || u.startsWith('CAP_') ? u : `CAP_${u}`;
  };
  let addSet = new Set((add ?? []).map(norm));
  let dropSet = new Set((drop ?? []).map(norm));
  if (addSet.has('ALL')) addSet = new Set(['ALL']);
  if (dropSet.has('ALL')) dropSet = new Set(['ALL']);
  const outDrop = [...dropSet].filter((c) => !addSet.has(c) && c !== 'RESET').sort();
  const outAdd = [...addSet].filter((c) => c !== 'RESET').sort();
  return { add: outAdd.length ? outAdd : undefined, drop: outDrop.length ? outDrop : undefined };
}
