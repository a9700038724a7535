/**
 * `npm run build` (and `npm pack`, through prepack): the npm package's dist/.
 *   dist/lib, dist/client, dist/tools   the construct library, the typed client and the keys command, compiled by tsc
 *                                       with their declarations
 *   dist/assets/<function>/index.mjs    the Lambda functions, bundled with the same esbuild settings cdk synth uses
 *                                       here (tools/bundle.ts), so a team's synth needs neither esbuild nor Docker
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { bundle } from './bundle';

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
/** The entries the construct deploys, by the name of their asset folder. */
export const PACKAGED_FUNCTIONS = ['send', 'verify', 'authorize', 'outcomes'] as const;

async function main(): Promise<void> {
  rmSync(DIST, { recursive: true, force: true });
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
  for (const name of PACKAGED_FUNCTIONS) {
    const built = await bundle(name, path.join(ROOT, 'functions', `${name}.ts`), path.join(DIST, 'assets'));
    console.log(`dist/assets/${name}/index.mjs  ${built.bytes} bytes`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
