// DuckDB's side of delta_bench: loads a Parquet file into an in-memory table (not timed),
// then times `COPY t TO ... (FORMAT parquet, COMPRESSION <codec>)` `repeat` times per
// thread setting and prints the best run of each as JSON:
//   node bench/duckdb_parquet_write.mjs IN.parquet OUT_DIR CODEC REPEAT
//   -> {"rows":N,"runs":[{"threads":"1","seconds":S,"bytes":B},{"threads":"default (2)",...}]}
// CODEC: snappy, zstd or uncompressed. DuckDB comes from tests/js (scripts/setup.sh).
import { createRequire } from 'node:module';
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { DuckDBInstance } = createRequire(path.join(root, 'tests', 'js', 'package.json'))('@duckdb/node-api');

const [input, outDir, codec, repeatText] = process.argv.slice(2);
if (!input || !outDir || !codec) {
  process.stderr.write('usage: node duckdb_parquet_write.mjs IN.parquet OUT_DIR CODEC [REPEAT]\n');
  process.exit(2);
}
const repeat = Number(repeatText || 3);
const quote = (s) => "'" + s.replaceAll("'", "''") + "'";

try {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  await c.run(`CREATE TABLE t AS SELECT * FROM read_parquet(${quote(input)})`);
  const rows = Number((await c.runAndReadAll('SELECT count(*) AS n FROM t')).getRowObjectsJS()[0].n);
  const defaultThreads = (await c.runAndReadAll("SELECT current_setting('threads') AS n")).getRowObjectsJS()[0].n;
  const runs = [];
  for (const threads of ['1', String(defaultThreads)]) {
    await c.run(`SET threads=${threads}`);
    const out = path.join(outDir, `duckdb-${codec}-${threads}.parquet`);
    let best = Infinity;
    for (let i = 0; i < repeat; ++i) {
      const t0 = process.hrtime.bigint();
      await c.run(`COPY t TO ${quote(out)} (FORMAT parquet, COMPRESSION ${codec})`);
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
    }
    runs.push({ threads: threads === '1' ? '1' : `default (${threads})`, seconds: best, bytes: statSync(out).size });
  }
  process.stdout.write(JSON.stringify({ rows, runs }) + '\n');
} catch (e) {
  process.stderr.write(`duckdb: ${e.message}\n`);
  process.exit(1);
}
