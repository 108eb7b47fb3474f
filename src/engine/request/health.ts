/** A service's healthcheck as the Engine API's HealthConfig, for a container and a swarm task alike. */
import type { Service } from '../../stack/model.js';
import { formatPath } from '../../stack/doc-path.js';
import { prune } from '../../util/dict.js';
import type { HealthConfig } from '../api/container.js';
import { apiAtLeast } from '../api-version.js';
import { nanos } from './context.js';

/**
 * `dropped` hears of a setting left out because the engine (`who`: "engine", "manager") is too
 * old for it: only start_interval, which merely shortens probing during start_period, so
 * leaving it out degrades safely. Undefined when the service says nothing about health.
 */
export function healthConfig(
  service: Service, apiVersion: string | undefined, who: string, dropped: (message: string, path: string) => void,
): HealthConfig | undefined {
  const h = service.healthcheck;
  if (!h) return undefined;
  if (h.disable) return { Test: ['NONE'] };
  const ns = (k: 'interval' | 'timeout' | 'start_period' | 'start_interval') =>
    h[k] === undefined ? undefined : nanos(service.name, `healthcheck.${k}`, h[k]);
  let startInterval = ns('start_interval');
  if (startInterval !== undefined && apiVersion !== undefined && !apiAtLeast(apiVersion, '1.44')) {
    dropped(`service "${service.name}": healthcheck.start_interval needs Engine API 1.44 (Docker 25); the ${who} speaks ${apiVersion}, so it is left out`,
      formatPath(['services', service.name, 'healthcheck', 'start_interval']));
    startInterval = undefined;
  }
  const out = prune<HealthConfig>({
    Test: h.test,
    Interval: ns('interval'),
    Timeout: ns('timeout'),
    StartPeriod: ns('start_period'),
    StartInterval: startInterval,
    Retries: h.retries,
  });
  return Object.keys(out).length ? out : undefined;
}
