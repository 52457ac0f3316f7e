import XMLBuilder from 'fast-xml-builder';
import { XMLParser } from 'fast-xml-parser';
import { SyntaxValidator } from 'fast-xml-validator';

export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** A value in an XML document: text, a nested element, or a repeated element (array). */
export type XmlValue = string | number | boolean | XmlElement | XmlValue[] | undefined;
export interface XmlElement {
  [name: string]: XmlValue;
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@', suppressEmptyNode: false, processEntities: true });
// htmlEntities decodes numeric character references (&#34;), which Go clients such as rclone send.
// trimValues is off: keys, upload ids, ETags and tag values are byte-exact in S3 (a key "a " is not
// the key "a"); the whitespace between elements shows up as '#text' beside child elements, which
// nobody reads. Fields that are numbers or keywords are trimmed where they are read (`keyword`).
const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: false, processEntities: true, htmlEntities: true, isArray: () => false });

/** `<root xmlns="…S3…">…</root>` with the XML declaration. Undefined fields are left out. */
export function xmlDocument(root: string, body: XmlElement, options: { namespace?: boolean } = {}): string {
  const element: XmlElement = options.namespace === false ? body : { '@xmlns': S3_NAMESPACE, ...body };
  return DECLARATION + builder.build({ [root]: prune(element) });
}

function prune(value: XmlElement): XmlElement {
  const out: XmlElement = {};
  for (const [name, child] of Object.entries(value)) {
    if (child === undefined) continue;
    if (Array.isArray(child)) out[name] = child.map((item) => (typeof item === 'object' && !Array.isArray(item) ? prune(item) : item));
    else if (typeof child === 'object') out[name] = prune(child);
    else out[name] = child;
  }
  return out;
}

/** Parses a request body; `undefined` when it is not well-formed XML. */
export function parseXml(text: string): Record<string, unknown> | undefined {
  try {
    if ((SyntaxValidator.validate(text) as unknown) !== true) return undefined;
    const parsed: unknown = parser.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A number or keyword field (`PartNumber`, `Quiet`, `Status`): its text without surrounding
 * white space, as AWS reads them; `undefined` when absent or not text.
 */
export function keyword(value: unknown): string | undefined {
  return typeof value === 'string' ? value.trim() : undefined;
}

/** A child that may occur once or many times, always as an array. */
export function many(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
