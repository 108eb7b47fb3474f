import { describe, expect, it } from 'vitest';
import { compileTemplate, goString, TemplateError } from '../../src/ui/go-template.js';
import { headerOf, listFormat, ndjson, tabwrite } from '../../src/ui/list-format.js';
import {
  composeImageRow, composeLsRow, composePsRow, composeVersionJson, ellipsis, exitCodeOf, humanDuration, psTemplateRow, PS_HEADERS, PS_SAMPLE,
} from '../../src/ui/compose-shapes.js';
import { psStates } from '../../src/cli/commands/ps.js';
import { parseIndex } from '../../src/cli/commands/logs.js';
import { UsageError } from '../../src/errors.js';
import { LABEL } from '../../src/labels.js';
import type { ContainerSummary } from '../../src/plan/observed.js';

const render = (src: string, row: unknown): string => compileTemplate(src).render(row);

describe('Go template subset', () => {
  const row = { Name: 'p-web-1', State: 'running', ExitCode: 0, Publishers: [{ URL: '0.0.0.0', TargetPort: 80, PublishedPort: 8080, Protocol: 'tcp' }], Labels: 'a=1', Nested: { Deep: 'x' } };

  it('substitutes fields and keeps the text between them', () => {
    expect(render('{{.Name}} {{.State}}', row)).toBe('p-web-1 running');
    expect(render('name={{ .Name }};', row)).toBe('name=p-web-1;');
    expect(render('{{.Nested.Deep}}', row)).toBe('x');
  });

  it('prints json as docker does: compact, no HTML escaping', () => {
    expect(render('{{json .Publishers}}', row)).toBe('[{"URL":"0.0.0.0","TargetPort":80,"PublishedPort":8080,"Protocol":"tcp"}]');
    expect(render('{{json .}}', { A: '<&>' })).toBe('{"A":"<&>"}');
    expect(render('{{json .Name}}', row)).toBe('"p-web-1"');
  });

  it('prints values as Go\'s %v: slices in brackets, structs in braces', () => {
    expect(render('{{.Publishers}}', row)).toBe('[{0.0.0.0 80 8080 tcp}]');
    expect(goString(undefined)).toBe('<no value>');
  });

  it('pipes, functions, range, if/else, with, index and trim markers', () => {
    expect(render('{{.Name | upper}}', row)).toBe('P-WEB-1');
    expect(render('{{range .Publishers}}{{.PublishedPort}}->{{.TargetPort}} {{end}}', row)).toBe('8080->80 ');
    expect(render('{{if eq .State "running"}}up{{else}}down{{end}}', row)).toBe('up');
    expect(render('{{if .ExitCode}}failed{{else if eq .State "running"}}up{{end}}', row)).toBe('up');
    expect(render('{{with .Nested}}{{.Deep}}{{end}}', row)).toBe('x');
    expect(render('{{(index .Publishers 0).PublishedPort}}', row)).toBe('8080');
    expect(render('{{index .Nested "Deep"}}', row)).toBe('x');
    expect(render('a  {{- .Name -}}  b', row)).toBe('ap-web-1b');
    expect(render('{{/* a comment */}}{{len .Publishers}}', row)).toBe('1');
    expect(render('{{join (split .Labels "=") ":"}}', row)).toBe('a:1');
    expect(render('{{printf "%-8s|" .State}}', row)).toBe('running |');
    expect(render('{{pad .Name 1 2}}|{{pad "" 1 1}}|', row)).toBe(' p-web-1  ||');
    expect(render('{{truncate .Name 3}} {{lower "AB"}} {{title "hello world"}}', row)).toBe('p-w ab Hello World');
    expect(render('{{$.Name}}', row)).toBe('p-web-1');
  });

  it('calls a row method with its arguments (ContainerContext.Label)', () => {
    expect(render('{{.Label "k"}}', { Label: (k: unknown) => (k === 'k' ? 'v' : '') })).toBe('v');
  });

  it('names what it does not support or cannot evaluate', () => {
    const fails = (src: string, data: unknown = row): string => {
      try {
        render(src, data);
      } catch (e) {
        expect(e).toBeInstanceOf(TemplateError);
        return (e as Error).message;
      }
      throw new Error(`${src} did not fail`);
    };
    expect(fails('{{.Nope}}')).toMatch(/can't evaluate field Nope \(fields: Name, State/);
    expect(fails('{{nope .Name}}')).toMatch(/function "nope" is not supported/);
    expect(fails('{{$x := .Name}}')).toMatch(/variables \(\$x\) are not supported/);
    expect(fails('{{range $i, $p := .Publishers}}{{end}}')).toMatch(/variables \(\$i\) are not supported/);
    expect(render('{{printf "$a=%s" .State}}', row)).toBe('$a=running');
    expect(fails('{{define "x"}}{{end}}')).toMatch(/{{define}} is not supported/);
    expect(fails('{{if .Name}}x')).toMatch(/has no {{end}}/);
    expect(fails('{{.Name')).toMatch(/unclosed action/);
    expect(fails('{{end}}')).toMatch(/unexpected {{end}}/);
    expect(fails('{{index .Publishers 3}}')).toMatch(/out of range/);
  });
});

describe('--format of the listing verbs', () => {
  const spec = { verb: 'ps', sample: PS_SAMPLE, headers: PS_HEADERS };

  it('reads table and json as words, anything else as a template', () => {
    expect(listFormat('table', spec).kind).toBe('table');
    expect(listFormat(undefined, spec).kind).toBe('table');
    expect(listFormat('json', spec).kind).toBe('json');
    const f = listFormat('{{.Name}}', spec);
    expect(f.kind === 'template' && f.render([{ Name: 'a' }, { Name: 'b' }])).toBe('a\nb\n');
  });

  it('prints a header row and docker\'s tabwriter columns for a table template', () => {
    const f = listFormat('table {{.Name}}\\t{{.State}}\\t{{.ExitCode}}', spec);
    expect(f.kind).toBe('template');
    const out = f.kind === 'template' ? f.render([{ Name: 'p-web-1', State: 'running', ExitCode: 0 }]) : '';
    expect(out).toBe('NAME      STATE     EXIT CODE\np-web-1   running   0\n');
  });

  it('titles columns as docker does where it names them, else by the field\'s words', () => {
    const f = listFormat('table {{.ID}}\t{{.RunningFor}}\t{{json .Publishers}}', spec);
    expect(f.kind === 'template' && f.render([]).split('\n')[0]!.trimEnd()).toBe('CONTAINER ID   CREATED   PUBLISHERS');
    expect(headerOf('LocalVolumes')).toBe('LOCAL VOLUMES');
  });

  it('is a usage error, before anything is listed, for a template it cannot evaluate', () => {
    expect(() => listFormat('{{.Nmae}}', spec)).toThrow(UsageError);
    expect(() => listFormat('{{.Nmae}}', spec)).toThrow(/--format "{{.Nmae}}" of tug ps: can't evaluate field Nmae/);
    expect(() => listFormat('{{template "x"}}', spec)).toThrow(/not supported/);
    expect(() => listFormat('{{.Name}}', { verb: 'ls', sample: { Name: '' } })).not.toThrow();
  });

  it('aligns like docker\'s tabwriter: padding 3, minimum width 10', () => {
    expect(tabwrite(['A\tB', 'longer-than-ten\tx'])).toBe(`A${' '.repeat(17)}B\nlonger-than-ten   x\n`);
  });

  it('writes one compact object a line', () => {
    expect(ndjson([{ a: 1 }, { a: 2 }])).toBe('{"a":1}\n{"a":2}\n');
  });
});

function container(extra: Partial<ContainerSummary> = {}): ContainerSummary {
  return {
    id: 'a'.repeat(64), name: 'demo-web-1', state: 'running', status: 'Up 2 minutes (healthy)', health: 'healthy', image: 'busybox',
    labels: { [LABEL.project]: 'demo', [LABEL.service]: 'web' }, created: 1_700_000_000,
    ports: [{ privatePort: 80, publicPort: 8080, ip: '0.0.0.0', type: 'tcp' }, { privatePort: 53, type: 'udp' }],
    command: 'sh -c \'sleep 1000 && echo done\'', networks: ['demo_default'], listedMounts: [{ name: 'demo_data', driver: 'local' }, { name: '/host/path' }],
    service: 'web', number: 1, oneoff: false, ...extra,
  };
}

describe('Compose\'s JSON shapes', () => {
  it('ps: the fields of Compose\'s ContainerContext, in its key order', () => {
    const row = composePsRow(container(), { trunc: true, now: 1_700_000_125 });
    expect(Object.keys(row)).toEqual(['Command', 'CreatedAt', 'ExitCode', 'Health', 'ID', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Name', 'Names',
      'Networks', 'Ports', 'Project', 'Publishers', 'RunningFor', 'Service', 'Size', 'State', 'Status']);
    expect(row).toMatchObject({
      Command: '"sh -c \'sleep 1000 &…"', CreatedAt: '2023-11-14 22:13:20 +0000 UTC', ExitCode: 0, Health: 'healthy', ID: 'a'.repeat(12), Image: 'busybox',
      LocalVolumes: '1', Mounts: 'demo_data,/host/path', Name: 'demo-web-1', Names: 'demo-web-1', Networks: 'demo_default',
      Ports: '0.0.0.0:8080->80/tcp, 53/udp', Project: 'demo', RunningFor: '2 minutes ago', Service: 'web', Size: '0B', State: 'running',
      Status: 'Up 2 minutes (healthy)',
      Publishers: [{ URL: '', TargetPort: 53, PublishedPort: 0, Protocol: 'udp' }, { URL: '0.0.0.0', TargetPort: 80, PublishedPort: 8080, Protocol: 'tcp' }],
    });
    expect(row.Labels.split(',').sort()).toEqual([`${LABEL.project}=demo`, `${LABEL.service}=web`]);
  });

  it('ps --no-trunc leaves the id and command whole', () => {
    const row = composePsRow(container(), { trunc: false, now: 1_700_000_000 });
    expect(row.ID).toBe('a'.repeat(64));
    expect(row.Command).toBe(JSON.stringify('sh -c \'sleep 1000 && echo done\''));
  });

  it('ps: a stopped container\'s exit code, and no health once it is not running', () => {
    const row = composePsRow(container({ state: 'exited', status: 'Exited (137) 5 seconds ago', health: 'unhealthy' }), { trunc: true, now: 0 });
    expect(row.ExitCode).toBe(137);
    expect(row.Health).toBe('');
    expect(exitCodeOf({ state: 'running', status: 'Up (1) x' })).toBe(0);
  });

  it('ps: {{json .}} prints exactly the --format json line, as in Compose', () => {
    const o = { trunc: true, now: 1_700_000_100 };
    expect(compileTemplate('{{json .}}').render(psTemplateRow(container(), o))).toBe(JSON.stringify(composePsRow(container(), o)));
  });

  it('ps template rows answer .Label "key"', () => {
    expect(compileTemplate('{{.Label "com.docker.compose.service"}}').render(psTemplateRow(container(), { trunc: true, now: 0 }))).toBe('web');
  });

  it('durations read as go-units writes them', () => {
    expect([0, 1, 59, 60, 119, 3599, 3600, 7200, 86400 * 3, 86400 * 20, 86400 * 90, 86400 * 800].map(humanDuration)).toEqual([
      'Less than a second', '1 second', '59 seconds', 'About a minute', 'About a minute', '59 minutes', 'About an hour', '2 hours', '3 days',
      '2 weeks', '3 months', '2 years',
    ]);
    expect(ellipsis('abcdef', 4)).toBe('abc…');
    expect(ellipsis('abc', 4)).toBe('abc');
  });

  it('ls, images and version as Compose prints them', () => {
    expect(composeLsRow({ name: 'demo', status: 'running(2)', configFiles: '/d/compose.yaml', running: 2 }))
      .toEqual({ Name: 'demo', Status: 'running(2)', ConfigFiles: '/d/compose.yaml' });
    expect(composeImageRow({ container: 'demo-web-1', service: 'web', repository: 'busybox', tag: 'latest', id: 'abc', size: 4_261_550, created: 1_700_000_000 }))
      .toEqual({ ID: 'sha256:abc', ContainerName: 'demo-web-1', Repository: 'busybox', Tag: 'latest', Platform: 'unknown', Size: 4_261_550, Created: '2023-11-14T22:13:20Z' });
    // Compose's field order: Platform between Tag and Size.
    expect(Object.keys(composeImageRow({ container: 'c', service: 's', repository: 'r', tag: 't', id: 'i', size: 1, created: 1, platform: 'linux/arm64/v8' })))
      .toEqual(['ID', 'ContainerName', 'Repository', 'Tag', 'Platform', 'Size', 'Created']);
    expect(composeImageRow({ container: 'c', service: 's', repository: 'r', tag: 't', id: 'i', platform: 'linux/arm64/v8' }).Platform).toBe('linux/arm64/v8');
    expect(composeVersionJson('1.2.3')).toBe('{"version":"1.2.3"}\n');
  });
});

describe('ps filters and logs --index', () => {
  it('reads --status and --filter status= as Compose does', () => {
    expect(psStates(['exited'], ['status=running'])).toEqual(['exited', 'running']);
    expect(psStates(undefined, undefined)).toEqual([]);
  });

  it('refuses unknown filter keys, source=, a filter without = and unknown states', () => {
    expect(() => psStates(undefined, ['name=web'])).toThrow(/unknown filter "name"/);
    expect(() => psStates(undefined, ['source=x'])).toThrow(/source=... is not supported/);
    expect(() => psStates(undefined, ['running'])).toThrow(/should be KEY=VALUE/);
    expect(() => psStates(['runing'], undefined)).toThrow(/unknown container state "runing"/);
    expect(() => psStates(undefined, ['name=web'])).toThrow(UsageError);
  });

  it('--index takes a replica number of exactly one service', () => {
    expect(parseIndex(undefined, [])).toBeUndefined();
    expect(parseIndex('2', ['web'])).toBe(2);
    expect(() => parseIndex('2', [])).toThrow(/requires one service/);
    expect(() => parseIndex('2', ['a', 'b'])).toThrow(/requires one service/);
    expect(() => parseIndex('0', ['web'])).toThrow(/invalid --index/);
    expect(() => parseIndex('x', ['web'])).toThrow(UsageError);
  });
});

describe('ls --filter', () => {
  it('keeps the projects named, exactly or by regular expression, as Compose does', async () => {
    const { nameFilter } = await import('../../src/cli/commands/ls.js');
    const names = ['web', 'web-2', 'api', 'a+b'];
    expect(names.filter(nameFilter(undefined))).toEqual(names);
    expect(names.filter(nameFilter(['name=web']))).toEqual(['web', 'web-2']);
    expect(names.filter(nameFilter(['name=^api$', 'name=a+b']))).toEqual(['api', 'a+b']);
    expect(names.filter(nameFilter(['name=a+b(']))).toEqual([]);
    expect(() => nameFilter(['status=running'])).toThrow(/invalid filter "status=running"/);
    expect(() => nameFilter(['name'])).toThrow(UsageError);
  });
});

describe('stats as docker stats prints it', () => {
  it('writes docker\'s statsContext fields, in key order', async () => {
    const { statsRow } = await import('../../src/cli/commands/stats.js');
    const row = statsRow({
      container: container(),
      stats: { cpuPercent: 1.5, memoryUsage: 2_654_208, memoryLimit: 67_108_864, memoryPercent: 3.955, netRx: 1_000, netTx: 0, blockRead: 4_096, blockWrite: 512, pids: 2 },
    });
    expect(row).toEqual({
      BlockIO: '4.1kB / 512B', CPUPerc: '1.50%', Container: 'a'.repeat(64), ID: 'a'.repeat(12), MemPerc: '3.96%', MemUsage: '2.531MiB / 64MiB',
      Name: 'demo-web-1', NetIO: '1kB / 0B', PIDs: '2',
    });
    expect(Object.keys(row)).toEqual(['BlockIO', 'CPUPerc', 'Container', 'ID', 'MemPerc', 'MemUsage', 'Name', 'NetIO', 'PIDs']);
  });
});
