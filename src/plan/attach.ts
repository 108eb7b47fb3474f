/**
 * Whose output an attached `up` prints, chosen as Compose chooses it: `--attach` names them
 * outright; otherwise the services named on the command line (all when none is), with what
 * they depend on under `--attach-dependencies`, less those whose file says `attach: false`;
 * `--no-attach` then takes some out. Pure: the graph is the caller's.
 */
import type { DependencyGraph } from '../graph/graph.js';
import type { Project } from '../stack/model.js';

export interface AttachChoice {
  /** The services named on the command line. */
  services?: readonly string[];
  /** `--attach`: only these. */
  attach?: readonly string[];
  /** `--no-attach`: never these. */
  noAttach?: readonly string[];
  /** `--attach-dependencies`: the named services' dependencies too. */
  attachDependencies?: boolean;
}

/** The services whose lines are printed (and, unless services are named, whose stop ends up). */
export function attachedServices(project: Project, graph: DependencyGraph, choice: AttachChoice): Set<string> {
  let chosen: Set<string>;
  if (choice.attach?.length) {
    chosen = new Set(choice.attach);
  } else {
    const named = choice.services?.length ? [...choice.services] : Object.keys(project.services);
    const scope = choice.attachDependencies ? [...graph.dependenciesOf(named)] : named;
    chosen = new Set(scope.filter((s) => project.services[s]?.attach !== false));
  }
  for (const s of choice.noAttach ?? []) chosen.delete(s);
  return chosen;
}
