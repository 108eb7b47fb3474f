/**
 * The project's `develop.watch` rules, checked and made ready to match file events. A rule the
 * schema accepts but tug cannot honour (`rebuild` without a build section, a sync without a
 * target, an `exec` on an action that runs none) is refused here, at its line, before anything
 * is watched or started. Matching follows Compose: a path under the rule's `path`, taken by
 * `include` (when given), not left out by `ignore`, the build context's `.dockerignore`, or
 * the editors' temporary files; a sync's container path is `target` joined with the path
 * relative to the rule's.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { StackInvalidError, type Diagnostic, type ErrorCode } from '../../errors.js';
import { checkServiceNames } from '../../plan/lifecycle.js';
import type { Project, Service, WatchAction, WatchExec } from '../../stack/model.js';
import { sourceOf } from '../../stack/source-map.js';
import { anyOf, dockerignoreOf, ephemeral, patternMatcher, type PathMatcher } from './patterns.js';

export interface WatchRuleSpec {
  service: string;
  /** The rule's place in the service's `develop.watch`. */
  index: number;
  /** `services.web.develop.watch[0]`: where refusals and warnings point. */
  yamlPath: string;
  /** Absolute host path; a directory unless `isFile`. */
  path: string;
  isFile: boolean;
  action: WatchAction;
  /** Absolute container path (sync actions). */
  target?: string;
  exec?: WatchExec;
  initialSync: boolean;
  /** Paths the rule leaves out: its `ignore`, the .dockerignore, temporary files. */
  ignore: PathMatcher;
  /** When set, only the paths it matches are taken. */
  include?: PathMatcher;
  /** Absolute paths its `ignore` leaves out whole (plain names, no `!` exceptions): not even watched. */
  prune: string[];
}

export const isSyncAction = (a: WatchAction): boolean => a === 'sync' || a === 'sync+restart' || a === 'sync+exec';

export interface CompiledRules {
  rules: WatchRuleSpec[];
  /** Rules left out, with why (a sync of a bind-mounted path). */
  warnings: Diagnostic[];
}

/**
 * The rules of `services` (default: every service), checked. Throws every problem at once
 * (exit 3), each at its line; a selection without a single rule is refused too.
 */
export function compileRules(project: Project, services?: readonly string[]): CompiledRules {
  checkServiceNames(project, services ? [...services] : undefined);
  const names = services?.length ? [...services] : Object.keys(project.services);
  const problems: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const rules: WatchRuleSpec[] = [];
  const report = (list: Diagnostic[], yamlPath: string, code: ErrorCode, message: string, hint?: string) =>
    list.push({ code, message, path: yamlPath, location: sourceOf(project, yamlPath), hint });
  for (const name of names) {
    const svc = project.services[name]!;
    const watch = svc.develop?.watch ?? [];
    const dockerignore = dockerignoreOf(svc.build);
    watch.forEach((w, index) => {
      const at = `services.${name}.develop.watch[${index}]`;
      const before = problems.length;
      const sync = isSyncAction(w.action);
      if (w.action === 'rebuild' && !svc.build) {
        report(problems, `${at}.action`, 'watch_unsupported', `service "${name}" has no build section, so its watch rule cannot rebuild it`,
          'add build: to the service, or use action sync, sync+restart or restart');
      }
      if (sync && !w.target) {
        report(problems, at, 'watch_unsupported', `watch rule ${index + 1} of service "${name}" (action ${w.action}) has no target: where should the files go?`,
          'add target: /path/in/the/container');
      }
      if (w.action === 'sync+exec' && !w.exec) {
        report(problems, at, 'watch_unsupported', `watch rule ${index + 1} of service "${name}" (action sync+exec) has no exec: what should run?`,
          'add exec: {command: ...}');
      } else if (w.exec && w.action !== 'sync+exec') {
        report(problems, `${at}.exec`, 'watch_unsupported', `exec runs only with action sync+exec, not ${w.action}: the command would never run`,
          'use action: sync+exec, or remove exec');
      } else if (w.exec && w.exec.command.length === 0) {
        report(problems, `${at}.exec.command`, 'watch_unsupported', `the exec command of watch rule ${index + 1} of service "${name}" is empty`);
      }
      if (w.initial_sync && !sync) {
        report(problems, `${at}.initial_sync`, 'watch_unsupported', `initial_sync applies to sync actions, not ${w.action}: there is nothing to sync`,
          'remove initial_sync, or use a sync action');
      }
      const kind = statKind(w.path);
      if (kind === undefined) {
        report(problems, `${at}.path`, 'watch_path_missing', `watch path ${w.path} of service "${name}" does not exist`,
          'create it, or correct the path (relative paths are relative to the file that declares the rule)');
      }
      if (problems.length > before || kind === undefined) return;
      if (sync && boundInto(svc, w.path)) {
        report(warnings, `${at}.path`, 'watch_unsupported',
          `watch path ${w.path} of service "${name}" is also bind-mounted into it: the container sees changes already, so the rule is left out`);
        return;
      }
      rules.push({
        service: name, index, yamlPath: at, path: w.path, isFile: kind === 'file', action: w.action,
        target: w.target === undefined ? undefined : path.posix.resolve('/', w.target),
        exec: w.exec, initialSync: w.initial_sync === true,
        ignore: anyOf(patternMatcher(w.path, w.ignore ?? []), dockerignore, ephemeral),
        include: w.include?.length ? patternMatcher(w.path, w.include) : undefined,
        prune: prunable(w.path, w.ignore ?? []),
      });
    });
  }
  if (problems.length === 0 && rules.length === 0) {
    // Rules left out (bind-mounted paths) say why there is nothing left.
    problems.push(...warnings, {
      code: 'no_watch_rules',
      message: services?.length
        ? `none of ${services.map((s) => `"${s}"`).join(', ')} has develop.watch rules: there is nothing to watch`
        : 'no service has develop.watch rules: there is nothing to watch',
      hint: 'add develop: {watch: [{path: ./src, action: sync, target: /app/src}]} to a service',
    });
  }
  if (problems.length > 0) throw new StackInvalidError(problems);
  return { rules, warnings };
}

/** The ignore patterns that name a path outright, when none takes anything back. */
function prunable(root: string, patterns: readonly string[]): string[] {
  const list = patterns.map((p) => p.trim()).filter((p) => p !== '' && !p.startsWith('#'));
  if (list.some((p) => p.startsWith('!'))) return [];
  return list.filter((p) => !/[*?[\\]/.test(p)).map((p) => path.resolve(root, p.replace(/^\/+/, '').replace(/\/+$/, ''))).filter((p) => p !== root);
}

function statKind(p: string): 'file' | 'dir' | undefined {
  try {
    return statSync(p).isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

/** Whether the host path is inside a bind mount's source (the container sees it already). */
function boundInto(svc: Service, hostPath: string): boolean {
  return svc.volumes.some((v) => v.type === 'bind' && v.source !== undefined && within(v.source, hostPath));
}

export function within(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** Whether the rule takes this host path (under its path, included, not ignored). */
export function takes(rule: WatchRuleSpec, hostPath: string): boolean {
  if (rule.isFile ? hostPath !== rule.path : !within(rule.path, hostPath)) return false;
  if (rule.include && !rule.include.matches(hostPath)) return false;
  return !rule.ignore.matches(hostPath);
}

/** Where the host path lands in the container: `target` joined with its path relative to the rule's. */
export function containerPath(rule: WatchRuleSpec, hostPath: string): string {
  const rel = path.relative(rule.path, hostPath).split(path.sep).join('/');
  return path.posix.join(rule.target ?? '/', rel);
}
