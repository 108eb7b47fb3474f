/**
 * Renderings of the dependency graph for `tug graph`. Output is deterministic (services in
 * dependency order, edges in declaration order) so it can be diffed and committed. Edges to
 * unknown services are left out: the validator reports them before anything is rendered.
 */

import { CycleError, type DependencyGraph, type Edge } from './graph.js';

export type GraphFormat = 'text' | 'dot' | 'mermaid' | 'json';

export function renderGraph(g: DependencyGraph, format: GraphFormat): string {
  const order = displayOrder(g);
  switch (format) {
    case 'text':
      return renderText(g, order);
    case 'dot':
      return renderDot(g, order);
    case 'mermaid':
      return renderMermaid(g, order);
    case 'json':
      return `${JSON.stringify({ services: order, edges: order.flatMap((s) => g.edgesFrom(s)) }, null, 2)}\n`;
  }
}

// Showing a cyclic graph is how a user finds the cycle, so fall back rather than throw.
function displayOrder(g: DependencyGraph): string[] {
  try {
    return g.topoOrder();
  } catch (err) {
    if (err instanceof CycleError) return g.services();
    throw err;
  }
}

/** `service_started, via links, required: false, restart: true`: only what differs from the default. */
function describe(e: Edge): string {
  const parts: string[] = [e.condition];
  if (e.kind !== 'depends_on') parts.push(`via ${e.kind}`);
  if (!e.required) parts.push('required: false');
  if (e.restart) parts.push('restart: true');
  return parts.join(', ');
}

function renderText(g: DependencyGraph, order: string[]): string {
  const lines: string[] = [];
  for (const name of order) {
    lines.push(name);
    for (const e of g.edgesFrom(name)) lines.push(`  -> ${e.to} (${describe(e)})`);
  }
  return lines.map((l) => `${l}\n`).join('');
}

function dotString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function renderDot(g: DependencyGraph, order: string[]): string {
  const lines = ['digraph tug {'];
  for (const name of order) lines.push(`  ${dotString(name)};`);
  for (const name of order) {
    for (const e of g.edgesFrom(name)) {
      const attrs = [`label=${dotString(describe(e))}`];
      if (!e.required) attrs.push('style=dashed');
      lines.push(`  ${dotString(e.from)} -> ${dotString(e.to)} [${attrs.join(', ')}];`);
    }
  }
  lines.push('}');
  return lines.map((l) => `${l}\n`).join('');
}

function mermaidText(s: string): string {
  return s.replace(/"/g, '#quot;');
}

function renderMermaid(g: DependencyGraph, order: string[]): string {
  // Service names may contain `.` and `-`, which Mermaid ids cannot; use positional ids.
  const ids = new Map(order.map((name, i) => [name, `s${i}`]));
  const lines = ['flowchart TD'];
  for (const name of order) lines.push(`  ${ids.get(name)!}["${mermaidText(name)}"]`);
  for (const name of order) {
    for (const e of g.edgesFrom(name)) {
      const arrow = e.required ? '-->' : '-.->';
      lines.push(`  ${ids.get(e.from)!} ${arrow}|"${mermaidText(describe(e))}"| ${ids.get(e.to)!}`);
    }
  }
  return lines.map((l) => `${l}\n`).join('');
}
