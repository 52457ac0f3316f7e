import { afterEach, expect, it, vi } from 'vitest';
import { pdfFields } from '../../src/adapters/extract/formats/documents.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

/** A PDF whose cross-reference offset is wrong: pdf.js repairs it by indexing every object. */
async function damagedPdf(): Promise<Uint8Array> {
  const { PDFDocument, StandardFonts } = await import('pdf-lib');
  const doc = await PDFDocument.create();
  const page = doc.addPage();
  page.drawText('Quarterly report', { font: await doc.embedFont(StandardFonts.Helvetica) });
  doc.setTitle('Damaged but readable');
  const text = Buffer.from(await doc.save({ useObjectStreams: false })).toString('latin1');
  return Buffer.from(text.replace(/startxref\n\d+/, 'startxref\n9'), 'latin1');
}

it('reads a damaged PDF without pdf.js printing its warnings on the terminal', async () => {
  const printed: string[] = [];
  for (const method of ['log', 'warn', 'error', 'info'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      printed.push(args.map(String).join(' '));
    });
  }
  const fields = await pdfFields(await damagedPdf());
  expect(fields).toMatchObject({ pages: 1, title: 'Damaged but readable' });
  expect(printed).toEqual([]);
});
