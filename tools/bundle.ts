/**
 * Builds Lambda bundles with exactly the esbuild settings that `cdk synth`
 * uses (lib/sms-verify.ts FUNCTION_BUNDLING), so the benchmark measures what is
 * deployed, and baselines built the same way.
 */
import { build, type BuildOptions, type Metafile } from 'esbuild';
import * as path from 'node:path';
import { FUNCTION_BUNDLING } from '../lib/sms-verify';

/** `--alias` arguments (`from=to`) of the bundling options, as esbuild's `alias` option. */
function aliases(): Record<string, string> {
  const values = FUNCTION_BUNDLING.esbuildArgs?.['--alias'];
  const list = Array.isArray(values) ? values : [];
  return Object.fromEntries(list.map((entry) => entry.split('=') as [string, string]));
}

/**
 * The esbuild options NodejsFunction passes on the command line for FUNCTION_BUNDLING.
 * `bareSdk` leaves out the project's aliases, for baselines of the SDK as it comes.
 */
export function esbuildOptions(entry: string, outfile: string, bareSdk = false): BuildOptions {
  const bundling = FUNCTION_BUNDLING;
  return {
    alias: bareSdk ? {} : aliases(),
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: bundling.target,
    minify: bundling.minify,
    sourcemap: bundling.sourceMap,
    mainFields: bundling.mainFields,
    banner: bundling.banner ? { js: bundling.banner } : undefined,
    external: bundling.externalModules,
    logLevel: 'silent',
    metafile: true,
  };
}

export interface BuiltBundle {
  name: string;
  file: string;
  bytes: number;
  metafile: Metafile;
}

export async function bundle(name: string, entry: string, outdir: string, bareSdk = false): Promise<BuiltBundle> {
  const file = path.join(outdir, name, 'index.mjs');
  const result = await build(esbuildOptions(entry, file, bareSdk));
  const bytes = Object.values(result.metafile!.outputs)[0]!.bytes;
  return { name, file, bytes, metafile: result.metafile! };
}
