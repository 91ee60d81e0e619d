// DuckDB's side of bench/replay_vs_duckdb.sh: the 15 features of bench/card_features.yaml
// with window SQL, from the card CSV to a CSV of one row per transaction, as `pixguard
// replay` does (read, compute, write), timed whole, with `threads` threads:
//   node bench/duckdb_card_features.mjs IN.csv OUT.csv THREADS
//   -> {"rows":N,"threads":T,"seconds":S}
// Windows are RANGE windows over TX_DATETIME per customer, and per terminal ending 7 days
// back (the delay after which frauds are known). DuckDB comes from tests/js (scripts/setup.sh).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { DuckDBInstance } = createRequire(path.join(root, 'tests', 'js', 'package.json'))('@duckdb/node-api');

const [input, output, threads] = process.argv.slice(2);
if (!input || !output || !threads) {
  process.stderr.write('usage: node duckdb_card_features.mjs IN.csv OUT.csv THREADS\n');
  process.exit(2);
}
const quote = (s) => "'" + s.replaceAll("'", "''") + "'";

const customer = (days) => `PARTITION BY CUSTOMER_ID ORDER BY TX_DATETIME
  RANGE BETWEEN INTERVAL ${days} DAY PRECEDING AND CURRENT ROW`;
const terminal = (days) => `PARTITION BY TERMINAL_ID ORDER BY TX_DATETIME
  RANGE BETWEEN INTERVAL ${days + 7} DAY PRECEDING AND INTERVAL 7 DAY PRECEDING`;
const features = [];
for (const d of [1, 7, 30]) {
  features.push(`count(*) OVER (${customer(d)}) AS customer_count_${d}d`);
  features.push(`avg(TX_AMOUNT) OVER (${customer(d)}) AS customer_mean_amount_${d}d`);
}
for (const d of [1, 7, 30]) {
  features.push(`count(*) OVER (${terminal(d)}) AS terminal_count_${d}d`);
  features.push(`sum(TX_FRAUD) OVER (${terminal(d)}) / nullif(count(*) OVER (${terminal(d)}), 0) AS terminal_risk_${d}d`);
}
features.push('TX_AMOUNT AS tx_amount');
features.push('CAST(dayofweek(TX_DATETIME) IN (0, 6) AS INTEGER) AS tx_weekend');
features.push('CAST(hour(TX_DATETIME) < 6 AS INTEGER) AS tx_night');

try {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  await c.run(`SET threads=${Number(threads)}`);
  const t0 = process.hrtime.bigint();
  await c.run(`COPY (
      SELECT TRANSACTION_ID, TX_DATETIME, CUSTOMER_ID, TERMINAL_ID, ${features.join(',\n        ')}, TX_FRAUD
      FROM read_csv(${quote(input)}, header = true, timestampformat = '%Y-%m-%d %H:%M:%S')
    ) TO ${quote(output)} (FORMAT csv, HEADER)`);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const rows = Number((await c.runAndReadAll(`SELECT count(*) AS n FROM read_csv(${quote(output)}, header = true)`))
    .getRowObjectsJS()[0].n);
  process.stdout.write(JSON.stringify({ rows, threads: Number(threads), seconds }) + '\n');
} catch (e) {
  process.stderr.write(`duckdb: ${e.message}\n`);
  process.exit(1);
}
