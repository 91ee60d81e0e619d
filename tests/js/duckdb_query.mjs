// Runs each SQL statement given on argv with DuckDB (an independent Parquet reader and
// writer for the tests) and prints the last statement's rows as one JSON array of objects.
// BigInts become numbers when exact, strings otherwise; other non-JSON values become strings.
import { DuckDBInstance } from '@duckdb/node-api';

function plain(v) {
  if (typeof v === 'bigint') {
    return (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) ? Number(v) : v.toString();
  }
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  // DuckDB's own value classes (timestamps, dates, decimals...) print as DuckDB does.
  if (Object.getPrototypeOf(v) !== Object.prototype) return String(v);
  const out = {};
  for (const [k, x] of Object.entries(v)) out[k] = plain(x);
  return out;
}

const statements = process.argv.slice(2);
if (statements.length === 0) {
  process.stderr.write('usage: node duckdb_query.mjs SQL [SQL...]\n');
  process.exit(2);
}
try {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  let rows = [];
  for (const sql of statements) {
    const reader = await connection.runAndReadAll(sql);
    rows = reader.getRowObjectsJS();
  }
  process.stdout.write(JSON.stringify(rows.map(plain)) + '\n');
} catch (e) {
  process.stderr.write(`duckdb: ${e.message}\n`);
  process.exit(1);
}
