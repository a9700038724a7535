/**
 * A fresh npm project that installs this repository's packed tarball with no network at all: `npm ci --offline`
 * from the npm cache that the repository's own `npm ci` filled.
 *
 * Why a lockfile is written here: `npm install <names>` resolves version ranges from each package's registry
 * metadata (the packument), and `npm ci` never caches packuments, because it installs from the lockfile's
 * versions and integrities alone. So the fresh project gets a lockfile of its own, cut from this repository's:
 * the tarball's entry, then every package the tarball's dependencies (and the extra packages asked for) reach,
 * at the same paths they have here. Every dependency still resolves to the same place by Node's walk up
 * `node_modules`, because nothing nearer was added; `npm ci --offline` then fetches each package by its
 * integrity from the cache.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  [field: string]: unknown;
}

interface RootPackage {
  name: string;
  version: string;
  license: string;
  engines?: Record<string, string>;
  bin?: Record<string, string>;
  dependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, unknown>;
  devDependencies: Record<string, string>;
}

const rootPackage = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as RootPackage;
const lockedPackages = (JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }).packages;

/** Where `name` resolves from the package at `from` ('' is the root): its own node_modules, then each parent's. */
function resolveLocked(from: string, name: string): string | undefined {
  let at = from;
  for (;;) {
    const candidate = `${at ? `${at}/` : ''}node_modules/${name}`;
    if (lockedPackages[candidate]) return candidate;
    if (!at) return undefined;
    const parent = at.lastIndexOf('/node_modules/');
    at = parent < 0 ? '' : at.slice(0, parent);
  }
}

/** The lock entries `start` reaches, with this repository's dev/peer flags dropped (they describe this root, not the new one). */
function closure(start: string[], into: Record<string, LockEntry>): void {
  const pending = [...start];
  while (pending.length > 0) {
    const at = pending.pop()!;
    if (into[at]) continue;
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = lockedPackages[at]!;
    into[at] = entry;
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies'] as const) {
      for (const name of Object.keys(entry[field] ?? {})) {
        const resolved = resolveLocked(at, name);
        if (resolved) pending.push(resolved);
        else if (field === 'dependencies') throw new Error(`package-lock.json has no ${name} for ${at}`);
      }
    }
  }
}

/**
 * Creates `dir` as a project depending on the tarball (beside it in the parent folder) and on `extras` (names
 * of this repository's dev dependencies, at the versions locked here), and installs it offline.
 */
export async function installOffline(dir: string, tarball: string, extras: string[] = []): Promise<void> {
  const name = path.basename(dir);
  const tarballSpec = `file:${path.relative(dir, tarball)}`;
  const dependencies: Record<string, string> = { [rootPackage.name]: tarballSpec };
  for (const extra of extras) dependencies[extra] = lockedPackages[`node_modules/${extra}`]!.version!;

  const packages: Record<string, LockEntry> = {
    '': { name, version: '1.0.0', dependencies },
    [`node_modules/${rootPackage.name}`]: {
      version: rootPackage.version,
      resolved: tarballSpec,
      integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
      license: rootPackage.license,
      dependencies: rootPackage.dependencies,
      peerDependencies: rootPackage.peerDependencies,
      peerDependenciesMeta: rootPackage.peerDependenciesMeta,
      bin: rootPackage.bin,
      engines: rootPackage.engines,
    },
  };
  closure(
    [...Object.keys(rootPackage.dependencies), ...extras].map((dependency) => resolveLocked('', dependency)!),
    packages,
  );

  mkdirSync(dir);
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, dependencies }, null, 2));
  writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({ name, version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2));
  await run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
}
