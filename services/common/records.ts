import type { z } from 'zod';
import type { Storage, StoredRecord } from '../san/storage';

/** A stored document after its schema: storage hands back whatever was written, possibly by another build. */
export interface Rec<T> {
  id: string;
  version: number;
  doc: T;
}

export async function readRecord<S extends z.ZodType>(
  storage: Storage,
  table: string,
  schema: S,
  id: string,
): Promise<Rec<z.output<S>> | undefined> {
  const record = await storage.get(table, id);
  return record && check(schema, record);
}

export async function listRecords<S extends z.ZodType>(
  storage: Storage,
  table: string,
  schema: S,
  where?: { field: string; equals: string | number | boolean },
): Promise<Rec<z.output<S>>[]> {
  return (await storage.list(table, where)).map((record) => check(schema, record));
}

function check<S extends z.ZodType>(schema: S, record: StoredRecord): Rec<z.output<S>> {
  const parsed = schema.safeParse(record.doc);
  if (!parsed.success) {
    throw new Error(`stored record ${record.table}/${record.id} v${record.version} is malformed: ${parsed.error.message}`);
  }
  return { id: record.id, version: record.version, doc: parsed.data };
}
