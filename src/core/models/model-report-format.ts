import type { ModelReport, Withheld } from './model-report.ts';

/**
 * The model report as Markdown and as printable HTML. One list of sections, each a title,
 * its lines or table, and the command that reproduces it, rendered twice; written by hand
 * because the documents are small and fixed, and a Markdown-to-HTML library would add an
 * escaping surface for text that comes from users (names, descriptions, parameters).
 */
type Block = { kind: 'lines'; lines: string[] } | { kind: 'table'; head: string[]; rows: string[][]; empty: string };

interface Section {
  title: string;
  blocks: Block[];
  reproduce?: string;
}

const isWithheld = (value: unknown): value is Withheld => typeof value === 'object' && value !== null && 'withheld' in value;
const lines = (...items: string[]): Block => ({ kind: 'lines', lines: items });
const table = (head: string[], rows: string[][], empty: string): Block => ({ kind: 'table', head, rows, empty });
const counts = (record: Record<string, number>): string => Object.entries(record).map(([k, v]) => `${k} ${v}`).join(', ');

function sections(r: ModelReport): Section[] {
  const out: Section[] = [];
  const m = r.model;
  out.push({ title: 'Model version', blocks: [lines(`${m.name}/${m.version}${m.aliases.length > 0 ? ` (aliases: ${m.aliases.join(', ')})` : ''}`, `artifact: ${m.artifact}`, `registered ${m.registeredAt} by ${m.registeredBy}`, ...(m.description === '' ? [] : [`description: ${m.description}`]))], reproduce: r.reproduce.model });
  if (r.run === null) out.push({ title: 'Training run', blocks: [lines('No run was recorded for this version.')] });
  else if (isWithheld(r.run)) out.push({ title: 'Training run', blocks: [lines(`Withheld: ${r.run.withheld}`)] });
  else {
    const run = r.run;
    const code = run.code === null ? 'not recorded' : Object.entries(run.code).map(([k, v]) => `${k} ${String(v)}`).join(', ');
    out.push({
      title: 'Training run',
      blocks: [
        lines(`${run.id}: ${run.job} (${run.kind}), ${run.status}`, `started ${run.startedAt}${run.endedAt === null ? '' : `, ended ${run.endedAt}`}, by ${run.user}${run.host === null ? '' : ` on ${run.host}`}`, `code: ${code}`),
        table(['parameter', 'value'], Object.entries(run.params).map(([k, v]) => [k, v]), 'No parameters recorded.'),
        table(['metric', 'last value'], Object.entries(run.metrics).map(([k, v]) => [k, String(v)]), 'No metrics recorded.'),
        table(['environment', 'value'], Object.entries(run.env).map(([k, v]) => [k, v]), 'No environment recorded.'),
      ],
      reproduce: r.reproduce.run,
    });
  }
  out.push({ title: 'Training data', blocks: [table(['version read', 'dataset', 'owner', 'licence', 'labels'], r.training.flatMap((t) => (t.datasets.length === 0 ? [[t.key, '(not in the catalog)', '', '', '']] : t.datasets.map((d) => [t.key, d.name, d.owner, d.license ?? '(none)', d.labels.join(', ')]))), 'The run declared no inputs.')], reproduce: r.reproduce.run });
  out.push({
    title: 'Preparation',
    blocks: r.preparation.length === 0 ? [lines('No recipe run upstream.')] : r.preparation.flatMap((p) => [lines(`recipe ${p.recipe} (hash ${p.recipeHash.slice(0, 12)}), run ${p.run}, ${p.status}: ${p.sources} source(s) read, ${p.written} record(s) written, ${p.excluded} source(s) excluded, ${p.unreadable} unreadable`), table(['step', 'version and parameters', 'counts'], p.steps.map((s) => [`${s.index} ${s.name}`, s.settings, counts(s.counts)]), 'No steps.')]),
    reproduce: r.preparation.length === 0 ? undefined : `strata run show ${r.preparation[0]?.run ?? ''}`,
  });
  const s = r.sources;
  out.push({
    title: 'Sources, licences and labels',
    blocks: [
      lines(`${s.count} source version(s) went into training.`),
      table(['licence', 'sources'], s.licences.map((l) => [l.licence, String(l.sources)]), 'No sources, so no licences.'),
      table(['label', 'from datasets'], [...s.labels.map((l) => [l.label, l.datasets.join(', ')]), ...s.removed.map((x) => [`${x.label} (removed)`, `by ${x.run}`])], 'No classification labels.'),
    ],
    reproduce: `${r.reproduce.sources} · ${r.reproduce.labels}`,
  });
  out.push({
    title: 'Excluded and unreadable sources',
    blocks: [table(['source', 'records', 'why'], r.excluded.map((e) => [e.key, e.records === undefined ? '' : String(e.records), Object.keys(e.reasons).length === 0 ? 'not prepared' : counts(e.reasons)]), 'No source was excluded.'), table(['unreadable source', 'reason'], r.unreadable.map((u) => [u.key, u.reason]), 'Every source was readable.')],
    reproduce: r.reproduce.sources,
  });
  out.push({ title: 'Erasures', blocks: [r.erasures.length === 0 ? lines('No erasure has touched this version’s data.') : table(['subject', 'mark', 'erasure'], r.erasures.map((e) => [e.subject, e.mark, e.erasureId]), '')], reproduce: r.reproduce.erasures });
  out.push({ title: 'Inference', blocks: [isWithheld(r.inference) ? lines(`Withheld: ${r.inference.withheld}`) : table(['application', 'records'], r.inference.map((i) => [i.application, String(i.records)]), 'No inference records name this version.')], reproduce: r.reproduce.inference });
  out.push({ title: 'Retention', blocks: [table(['repository', 'rules'], r.retention.map((x) => [x.repository, x.rules === null ? 'kept forever' : JSON.stringify(x.rules)]), 'No repositories.')], reproduce: r.reproduce.retention });
  out.push({ title: 'Audit log', blocks: [isWithheld(r.audit) ? lines(`Withheld: ${r.audit.withheld}`) : lines(`signed head: ${r.audit.treeSize} entries, root ${r.audit.rootHash}, ${r.audit.timestamp}, key ${r.audit.keyId}`, `signature ${r.audit.signature}`)], reproduce: r.reproduce.audit });
  return out;
}

const mdCell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function modelReportMarkdown(r: ModelReport): string {
  const out = [`# Model report: ${r.model.name}/${r.model.version}`, '', `Generated ${r.generatedAt} by ${r.generatedBy} (${r.format}).`, ''];
  for (const section of sections(r)) {
    out.push(`## ${section.title}`, '');
    for (const block of section.blocks) {
      if (block.kind === 'lines') out.push(...block.lines.map((l) => `${l}  `), '');
      else if (block.rows.length === 0) out.push(block.empty, '');
      else out.push(`| ${block.head.join(' | ')} |`, `|${block.head.map(() => '---').join('|')}|`, ...block.rows.map((row) => `| ${row.map(mdCell).join(' | ')} |`), '');
    }
    if (section.reproduce !== undefined) out.push(`Reproduce: \`${section.reproduce}\``, '');
  }
  return out.join('\n');
}

const esc = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function modelReportHtml(r: ModelReport): string {
  const body: string[] = [`<h1>Model report: ${esc(`${r.model.name}/${r.model.version}`)}</h1>`, `<p class="meta">Generated ${esc(r.generatedAt)} by ${esc(r.generatedBy)} (${esc(r.format)}).</p>`];
  for (const section of sections(r)) {
    body.push(`<section><h2>${esc(section.title)}</h2>`);
    for (const block of section.blocks) {
      if (block.kind === 'lines') body.push(`<p>${block.lines.map(esc).join('<br>')}</p>`);
      else if (block.rows.length === 0) body.push(`<p class="empty">${esc(block.empty)}</p>`);
      else body.push(`<table><thead><tr>${block.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${block.rows.map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`);
    }
    if (section.reproduce !== undefined) body.push(`<p class="reproduce">Reproduce: <code>${esc(section.reproduce)}</code></p>`);
    body.push('</section>');
  }
  const style = 'body{font:14px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#111}h1{font-size:1.6rem}h2{font-size:1.15rem;border-bottom:1px solid #ccc;margin-top:1.6rem}table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.25rem .4rem;text-align:left;vertical-align:top;word-break:break-all}th{background:#f3f3f3}.meta,.reproduce,.empty{color:#555}code{font-size:.9em}@media print{body{margin:0;max-width:none}section{break-inside:avoid}}';
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(`Model report: ${r.model.name}/${r.model.version}`)}</title><style>${style}</style></head><body>${body.join('\n')}</body></html>\n`;
}
