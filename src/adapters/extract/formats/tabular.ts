import { DuckDBInstance } from '@duckdb/node-api';
import type { ExtractedValue } from '../../../core/ports/metadata-extractor.ts';

export type TabularKind = 'csv' | 'tsv' | 'jsonl' | 'parquet';

const READERS: Record<TabularKind, (path: string) => string> = {
  csv: (path) => `read_csv_auto(${quote(path)})`,
  tsv: (path) => `read_csv_auto(${quote(path)}, delim = '\\t')`,
  jsonl: (path) => `read_json_auto(${quote(path)}, format = 'newline_delimited')`,
  parquet: (path) => `read_parquet(${quote(path)})`,
};

export const TABULAR_EXTENSIONS: Record<string, TabularKind> = { csv: 'csv', tsv: 'tsv', jsonl: 'jsonl', ndjson: 'jsonl', parquet: 'parquet' };

function quote(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function identifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Schema and statistics of a tabular file with DuckDB (one in-memory instance per process):
 * row count, columns with their types, and per column the exact null count, min and max.
 */
export class TabularStats {
  private instance: Promise<DuckDBInstance> | undefined;

  async fields(file: string, kind: TabularKind): Promise<Record<string, ExtractedValue>> {
    this.instance ??= DuckDBInstance.create(':memory:', { threads: '1' });
    const connection = await (await this.instance).connect();
    try {
      const source = READERS[kind](file);
      const summary = (await connection.runAndReadAll(`SUMMARIZE SELECT * FROM ${source}`)).getRowObjectsJS() as { column_name: string; column_type: string; min: string | null; max: string | null }[];
      const counts = summary.map((c) => `count(${identifier(c.column_name)})`).join(', ');
      const [row] = (await connection.runAndReadAll(`SELECT count(*)${counts === '' ? '' : `, ${counts}`} FROM ${source}`)).getRows();
      const rows = Number(row?.[0] ?? 0);
      const fields: Record<string, ExtractedValue> = { rows, columns: summary.map((c) => `${c.column_name} ${c.column_type}`).join(', ') };
      summary.forEach((column, index) => {
        const key = `column.${column.column_name}`;
        fields[`${key}.type`] = column.column_type;
        fields[`${key}.nulls`] = rows - Number(row?.[index + 1] ?? 0);
        if (column.min !== null) fields[`${key}.min`] = column.min;
        if (column.max !== null) fields[`${key}.max`] = column.max;
      });
      return fields;
    } finally {
      connection.closeSync();
    }
  }
}
