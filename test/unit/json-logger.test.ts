import { JsonLogger, logLevelFromEnvironment } from '../../functions/adapters/json-logger';

describe('JSON logger', () => {
  it('writes one JSON object per line with the service and request fields', () => {
    const lines: string[] = [];
    const logger = new JsonLogger('sms-verify-send', (line) => lines.push(line), 'INFO');
    logger.setRequestFields({ requestId: 'r-1' });

    logger.info('Code sent', { route: 'sns' });

    expect(JSON.parse(lines[0]!)).toEqual({
      level: 'INFO',
      message: 'Code sent',
      service: 'sms-verify-send',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      requestId: 'r-1',
      route: 'sns',
    });
  });

  it('leaves out lines below its level', () => {
    const lines: string[] = [];
    const logger = new JsonLogger('s', (line) => lines.push(line), 'WARN');

    logger.info('quiet');
    logger.warn('loud');
    logger.error('louder');

    expect(lines.map((line) => JSON.parse(line).message)).toEqual(['loud', 'louder']);
  });

  it.each([
    [{ AWS_LAMBDA_LOG_LEVEL: 'WARN', LOG_LEVEL: 'ERROR' }, 'WARN'],
    [{ LOG_LEVEL: 'error' }, 'ERROR'],
    [{ LOG_LEVEL: 'silent' }, 'SILENT'],
    [{ LOG_LEVEL: 'DEBUG' }, 'INFO'],
    [{}, 'INFO'],
  ])('reads the level from %j', (env, level) => {
    expect(logLevelFromEnvironment(env)).toBe(level);
  });
});
