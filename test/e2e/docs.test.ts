/**
 * The documentation's shell examples, run as they are written: every ```sh block of README.md and docs/*.md that
 * shows an answer (a `# {…}` or `# […]` line after a command) is run with bash and curl against `npm start`'s
 * server, and each command's real output is compared with the answer shown. A shown code (4–12 digits) stands for
 * any code of that length, and `…` for anything: the rest must be exact. `localhost:3000` becomes the test server.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startLocalService, type LocalService } from '../../local/server';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
const MARK = '@@sms-verify-docs-step@@';

interface Step {
  command: string;
  shown: string[];
}

interface Example {
  where: string;
  steps: Step[];
}

/** The runnable blocks of one Markdown file: commands, each with the answer lines shown after it. */
export function examplesOf(file: string): Example[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const examples: Example[] = [];
  for (const match of text.matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)) {
    const line = text.slice(0, match.index).split('\n').length;
    const steps: Step[] = [];
    let pending = '';
    for (const raw of match[1]!.split('\n')) {
      if (/^# [{[]/.test(raw)) {
        steps.at(-1)?.shown.push(raw.slice(2));
      } else if (raw.startsWith('#') || raw.trim() === '') {
        continue;
      } else {
        pending += raw;
        if (raw.endsWith('\\')) {
          pending = `${pending.slice(0, -1)} `;
          continue;
        }
        steps.push({ command: pending, shown: [] });
        pending = '';
      }
    }
    if (steps.some((step) => step.shown.length > 0)) examples.push({ where: `${file}:${line}`, steps });
  }
  return examples;
}

/** The shown answer as a pattern: codes stand for any code of their length, `…` for anything. */
function patternOf(shown: string): RegExp {
  const escaped = shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/(?<![+\d])\d{4,12}(?!\d)/g, (digits) => `\\d{${digits.length}}`).replace(/…/g, '.*?')}$`);
}

const files = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
const examples = files.flatMap(examplesOf);

let service: LocalService;
beforeAll(async () => {
  service = await startLocalService({ port: 0, print: () => undefined });
}, 60_000);
afterAll(() => service?.stop());
beforeEach(() => service.simulator.clearOutbox());

it('the quick start is one of them, and ends in a verified code', () => {
  const quickStart = examples.find((example) => example.where.startsWith('README.md'));
  expect(quickStart?.steps.at(-1)?.shown).toEqual(['{"verified":true}']);
});

it.each(examples.map((example) => [example.where, example] as const))('%s answers as shown', async (_, example) => {
  const port = new URL(service.url).port;
  const script = example.steps.map((step) => `${step.command.replace(/localhost:3000/g, `127.0.0.1:${port}`)}\nprintf '\\n${MARK}\\n'`).join('\n');

  const { stdout } = await run('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd: ROOT, timeout: 30_000 });

  const outputs = stdout.split(`\n${MARK}\n`);
  example.steps.forEach((step, i) => {
    if (step.shown.length === 0) return;
    const actual = outputs[i]!.trim().split('\n');
    expect([step.command, actual.length]).toEqual([step.command, step.shown.length]);
    step.shown.forEach((shown, j) => expect(actual[j]).toMatch(patternOf(shown)));
  });
});
