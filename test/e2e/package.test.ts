/**
 * The npm package as a team gets it: `npm pack` (which builds it), then a
 * fresh CDK app and a fresh Node project install the tarball offline (`npm ci
 * --offline`, every dependency from the npm cache that `npm ci` filled); the
 * app synthesizes the construct with a grant and the outputs, without esbuild,
 * TypeScript sources or Docker, and the client, without any CDK, calls the
 * local service.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startLocalService, type LocalService } from '../../local/server';
import { installOffline } from '../support/offline-install';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
const rootPackage = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
};

let work: string;
let tarball: string;
let service: LocalService;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'sms-verify-package-'));
  const { stdout } = await run('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  tarball = path.join(work, stdout.trim().split('\n').at(-1)!);
  service = await startLocalService({ port: 0, print: () => undefined });
}, 180_000);
afterAll(async () => {
  await service?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A fresh project in `work` that installs the tarball and these locked packages from the npm cache, offline. */
async function project(name: string, extras: string[] = []): Promise<string> {
  const dir = path.join(work, name);
  await installOffline(dir, tarball, extras);
  return dir;
}

it('holds the built construct, client, keys command and bundled functions, and no sources', async () => {
  const { stdout } = await run('tar', ['-tzf', tarball]);
  const files = stdout.trim().split('\n');
  for (const file of ['package/dist/lib/index.js', 'package/dist/lib/index.d.ts', 'package/dist/client/index.js', 'package/dist/client/index.d.ts', 'package/dist/tools/keys.js', 'package/dist/tools/cli.js', 'package/CHANGELOG.md', 'package/README.md']) {
    expect(files).toContain(file);
  }
  for (const name of ['send', 'verify', 'authorize']) expect(files).toContain(`package/dist/assets/${name}/index.mjs`);
  // The service's own sources stay out; the example app a README points to is shipped to be read.
  expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.startsWith('package/examples/'))).toEqual([]);
  expect(files.some((file) => file.startsWith('package/test/') || file.startsWith('package/local/'))).toBe(false);
}, 60_000);

it('ships a LICENSE, and every file its README and docs link to', async () => {
  const { stdout } = await run('tar', ['-tzf', tarball]);
  const files = new Set(stdout.trim().split('\n').map((file) => file.replace(/^package\//, '')));
  expect(files).toContain('LICENSE');
  const documents = [...files].filter((file) => file === 'README.md' || file === 'SECURITY.md' || /^docs\/.*\.md$/.test(file));
  expect(documents.length).toBeGreaterThan(3);
  const broken: string[] = [];
  for (const document of documents) {
    const { stdout: text } = await run('tar', ['-xzOf', tarball, `package/${document}`], { maxBuffer: 16 * 1024 * 1024 });
    for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue; // an absolute link
      const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(document), target!)).replace(/\/$/, '');
      if (!files.has(resolved) && ![...files].some((file) => file.startsWith(`${resolved}/`))) broken.push(`${document} → ${target}`);
    }
  }
  expect(broken).toEqual([]);
});

it('a fresh CDK app installs it and synthesizes the construct, a grant and the outputs, without esbuild', async () => {
  const app = await project('team-app', ['aws-cdk-lib', 'constructs']);
  expect(existsSync(path.join(app, 'node_modules', 'esbuild'))).toBe(false);
  writeFileSync(
    path.join(app, 'app.js'),
    [
      "const { App, Stack } = require('aws-cdk-lib');",
      "const { Code, Function, Runtime } = require('aws-cdk-lib/aws-lambda');",
      `const { SmsVerify, addSmsVerifyOutputs } = require('${rootPackage.name}');`,
      'const app = new App({ outdir: process.argv[2] });',
      "const stack = new Stack(app, 'TeamApp');",
      "const sms = new SmsVerify(stack, 'Verification', { allowedCountries: ['GB'], auth: 'api-key' });",
      "const login = new Function(stack, 'Login', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler = async () => ({});') });",
      'sms.grantVerify(login);',
      'addSmsVerifyOutputs(stack, sms);',
      'app.synth();',
    ].join('\n'),
  );
  const outdir = path.join(app, 'cdk.out');

  await run(process.execPath, ['app.js', outdir], { cwd: app });

  const template = JSON.parse(readFileSync(path.join(outdir, 'TeamApp.template.json'), 'utf8')) as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    Outputs: Record<string, unknown>;
  };
  const functions = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function');
  // Send, verify, the API-key authorizer and the outcomes function (the conversion guard, on by default), each from
  // the package's own bundle.
  expect(functions.filter((fn) => fn.Properties.Handler === 'index.handler' && fn.Properties.Runtime === 'nodejs24.x')).toHaveLength(4);
  expect(Object.keys(template.Outputs)).toEqual(expect.arrayContaining(['ApiUrl', 'SendFunctionName', 'VerifyFunctionName']));
  // The deployed code is the package's own bundle, byte for byte.
  const assets = readdirSync(outdir).filter((entry) => entry.startsWith('asset.'));
  const bundled = assets.map((asset) => path.join(outdir, asset, 'index.mjs')).filter((file) => existsSync(file));
  const shipped = path.join(app, 'node_modules', rootPackage.name, 'dist', 'assets', 'send', 'index.mjs');
  expect(bundled.map((file) => readFileSync(file).equals(readFileSync(shipped)))).toContain(true);
}, 180_000);

it('a fresh Node project installs it without any CDK and calls the service with the typed client', async () => {
  const client = await project('team-service');
  expect(existsSync(path.join(client, 'node_modules', 'aws-cdk-lib'))).toBe(false);
  writeFileSync(
    path.join(client, 'call.js'),
    [
      `const { SmsVerifyClient, InvalidParameterError } = require('${rootPackage.name}/client');`,
      "const sms = new SmsVerifyClient({ transport: 'https', url: process.argv[2], region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });",
      '(async () => {',
      "  const sent = await sms.send({ number: '+447400123456', 'security-code': '135790' });",
      "  const verified = await sms.verify({ number: '+447400123456', 'security-code': '135790' });",
      "  const refused = await sms.send({ number: '+447400123456', 'code-length': 3 }).catch((error) => error instanceof InvalidParameterError);",
      '  process.stdout.write(JSON.stringify({ sent, verified, refused }));',
      '})();',
    ].join('\n'),
  );

  const { stdout } = await run(process.execPath, ['call.js', service.url], { cwd: client });

  expect(JSON.parse(stdout)).toEqual({
    sent: { sent: true, 'number-valid': true, 'security-code': '135790' },
    verified: { verified: true },
    refused: true,
  });
}, 120_000);

it('installs the sms-verify command, whose keys command makes a key for npm start (and the old sms-verify-keys name)', async () => {
  const dir = path.join(work, 'team-service');
  const bin = (name: string) => path.join(dir, 'node_modules', '.bin', name);
  const { stdout } = await run(bin('sms-verify'), ['keys', 'create', 'signup-service', '--local'], {
    cwd: dir,
    env: { ...process.env, PORT: new URL(service.url).port },
  });
  expect(stdout).toMatch(/^API key for signup-service .*\nsvk_[A-Za-z0-9_-]{43}\n$/);
  const { stdout: old } = await run(bin('sms-verify-keys'), ['create', 'other-service', '--table', service.tableName], {
    cwd: dir,
    env: { ...process.env, AWS_ENDPOINT_URL_DYNAMODB: service.tableEndpoint, AWS_REGION: 'us-east-1' },
  });
  expect(old).toMatch(/^API key for other-service .*\nsvk_[A-Za-z0-9_-]{43}\n$/);
}, 60_000);

it('the client\'s types resolve under moduleResolution node10 too (typesVersions), and under node16', async () => {
  const dir = path.join(work, 'team-service');
  writeFileSync(
    path.join(dir, 'use.ts'),
    [
      `import { SmsVerifyClient, type VerifyRequest } from '${rootPackage.name}/client';`,
      "const request: VerifyRequest = { number: '+447400123456', 'security-code': '123456', 'limit-by': 'user-1' };",
      "export const client = new SmsVerifyClient({ transport: 'https', url: 'http://127.0.0.1:3000', auth: 'none' });",
      'export default request;',
    ].join('\n'),
  );
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const [module, resolution] of [['commonjs', 'node10'], ['node16', 'node16']]) {
    await run(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck', '--types', 'node', '--typeRoots', path.join(ROOT, 'node_modules', '@types'), '--module', module!, '--moduleResolution', resolution!, 'use.ts'], { cwd: dir });
  }
}, 60_000);
