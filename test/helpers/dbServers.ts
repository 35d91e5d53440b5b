/**
 * Real database servers for tests: a PostgreSQL 15 cluster (initdb in a temp dir, md5 auth with a
 * password, its own port) and a two-shard ClickHouse cluster (two clickhouse-server processes with
 * their own paths and ports, a remote_servers config of our own). Each is stopped and its files
 * removed by `stop()` (and at process exit, whatever happens). When the binary is absent the
 * helpers return `{ skip: '<why>' }` so a test can skip with that message; CI installs both
 * (scripts/install-test-vscode.sh), so there they really run.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const PG_BIN = '/usr/lib/postgresql/15/bin';
export const CLICKHOUSE_BIN = '/usr/sbin/clickhouse-server';

/** A port the OS says is free right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const cleanups = new Set<() => void>();
process.on('exit', () => {
  for (const c of cleanups) {
    try {
      c();
    } catch {
      /* best effort at exit */
    }
  }
});

export interface Postgres {
  host: '127.0.0.1';
  port: number;
  user: 'postgres';
  password: string;
  database: 'postgres';
  /** postgresql://postgres@127.0.0.1:<port>/postgres (no password: it comes from PGPASSWORD or ${VAR}). */
  url: string;
  stop(): Promise<void>;
}

/** Starts PostgreSQL 15 as the postgres user on a free port; about a second. */
export async function startPostgres(): Promise<Postgres | { skip: string }> {
  if (!fs.existsSync(path.join(PG_BIN, 'initdb'))) return { skip: `PostgreSQL 15 is not installed (${PG_BIN}/initdb); apt-get install postgresql-15` };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodml-pg-'));
  const data = path.join(dir, 'data');
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const pwfile = path.join(dir, 'pwfile');
  fs.writeFileSync(pwfile, password + '\n');
  execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  const asPostgres = (bin: string, args: string[]) =>
    execFileSync('runuser', ['-u', 'postgres', '--', path.join(PG_BIN, bin), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=md5', `--pwfile=${pwfile}`, '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  const stopSync = () => {
    try {
      asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      /* already stopped */
    }
    remove();
  };
  cleanups.add(stopSync);
  // fsync off and a small shared_buffers: a throwaway test cluster starts and loads fast.
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=64MB`;
  asPostgres('pg_ctl', ['-D', data, '-o', opts, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start']);
  return {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    database: 'postgres',
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      cleanups.delete(stopSync);
      stopSync();
    },
  };
}

export interface ClickHouseCluster {
  /** Name in remote_servers. */
  cluster: 'prodml_cluster';
  /** HTTP ports of shard 1 and shard 2 (the client talks HTTP). */
  httpPorts: [number, number];
  /** Password of the `prodml` user (the `default` user, without one, is what the shards use between them). */
  password: string;
  /** clickhouse://127.0.0.1:<shard-1 http port>/default */
  url: string;
  stop(): Promise<void>;
}

const USERS_XML = (password: string) => `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default>
    <prodml><password>${password}</password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></prodml>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`;

function configXml(dir: string, ports: { http: number; tcp: number; inter: number }, shards: number[]): string {
  const shard = (tcp: number) => `<shard><replica><host>127.0.0.1</host><port>${tcp}</port></replica></shard>`;
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/log</log><errorlog>${dir}/err</errorlog><size>10M</size><count>1</count></logger>
  <http_port>${ports.http}</http_port>
  <tcp_port>${ports.tcp}</tcp_port>
  <interserver_http_port>${ports.inter}</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <listen_host>127.0.0.1</listen_host>
  <max_connections>64</max_connections>
  <keep_alive_timeout>3</keep_alive_timeout>
  <max_concurrent_queries>32</max_concurrent_queries>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <mark_cache_size>67108864</mark_cache_size>
  <path>${dir}/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
  <remote_servers><prodml_cluster>${shards.map(shard).join('')}</prodml_cluster></remote_servers>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
</yandex>
`;
}

/** Starts two clickhouse-server processes and waits until both answer; a few seconds. */
export async function startClickHouseCluster(): Promise<ClickHouseCluster | { skip: string }> {
  if (!fs.existsSync(CLICKHOUSE_BIN)) return { skip: `ClickHouse is not installed (${CLICKHOUSE_BIN}); apt-get install clickhouse-server` };
  // A port the OS called free can be taken before the server binds it (other tests run servers
  // too): a start that fails that way is retried on fresh ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startClickHouseOnce();
    } catch (e) {
      if (attempt >= 3 || !/Address already in use/.test(String(e))) throw e;
    }
  }
}

async function startClickHouseOnce(): Promise<ClickHouseCluster> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'prodml-ch-'));
  const password = `ch-${Math.random().toString(36).slice(2)}`;
  const distinct = new Set<number>();
  while (distinct.size < 6) distinct.add(await freePort());
  const [a, b, c, d, e, f] = [...distinct] as [number, number, number, number, number, number];
  const ports = [
    { http: a, tcp: b, inter: c },
    { http: d, tcp: e, inter: f },
  ];
  const procs: ChildProcess[] = [];
  const stopSync = () => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  };
  cleanups.add(stopSync);
  for (const [i, p] of ports.entries()) {
    const dir = path.join(root, `shard${i + 1}`);
    fs.mkdirSync(path.join(dir, 'tmp'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'users.xml'), USERS_XML(password));
    fs.writeFileSync(path.join(dir, 'config.xml'), configXml(dir, p, ports.map((x) => x.tcp)));
    const proc = spawn(CLICKHOUSE_BIN, [`--config-file=${path.join(dir, 'config.xml')}`], { stdio: 'ignore', cwd: dir });
    procs.push(proc);
  }
  try {
    await Promise.all(ports.map((p, i) => waitForHttp(p.http, procs[i]!, path.join(root, `shard${i + 1}`, 'err'))));
  } catch (e) {
    stopSync();
    cleanups.delete(stopSync);
    throw e;
  }
  return {
    cluster: 'prodml_cluster',
    httpPorts: [ports[0]!.http, ports[1]!.http],
    password,
    url: `clickhouse://127.0.0.1:${ports[0]!.http}/default`,
    async stop() {
      cleanups.delete(stopSync);
      await Promise.all(
        procs.map(
          (p) =>
            new Promise<void>((resolve) => {
              if (p.exitCode !== null) return resolve();
              p.once('exit', () => resolve());
              p.kill('SIGTERM');
              setTimeout(() => p.kill('SIGKILL'), 5000).unref();
            }),
        ),
      );
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

async function waitForHttp(port: number, proc: ChildProcess, errLog: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) {
      const log = fs.existsSync(errLog) ? fs.readFileSync(errLog, 'utf8').split('\n').slice(-5).join('\n') : '';
      throw new Error(`clickhouse-server on port ${port} exited with ${proc.exitCode}: ${log}`);
    }
    try {
      const r = await fetch(`http://127.0.0.1:${port}/ping`);
      if (r.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`clickhouse-server on port ${port} did not answer within 60 s`);
}

/** Runs SQL on one ClickHouse node over HTTP as `default` (setup only; ProdML itself uses @clickhouse/client). */
export async function clickhouseExec(port: number, sql: string, body?: string): Promise<string> {
  const url = `http://127.0.0.1:${port}/?query=${encodeURIComponent(sql)}`;
  const r = await fetch(url, { method: 'POST', body: body ?? '' });
  const text = await r.text();
  if (!r.ok) throw new Error(`ClickHouse: ${text}`);
  return text;
}
