import { codeOutcomesOf, type CodeState } from '../../functions/core/outcomes';

const code = (sendId: string, previousSendId?: string): CodeState => ({ sendId, hasCode: true, previousSendId });
const used = (sendId: string, previousSendId?: string): CodeState => ({ sendId, hasCode: false, previousSendId });

describe('what one write to a number decided about its code', () => {
  it('a check that used the code: RECEIVED for the send it came from', () => {
    expect(codeOutcomesOf({ before: code('s1'), after: used('s1') })).toEqual([{ sendId: 's1', outcome: 'RECEIVED' }]);
  });

  it('a wrong check leaves the code: nothing', () => {
    expect(codeOutcomesOf({ before: code('s1'), after: code('s1') })).toEqual([]);
  });

  it('a new send replaced an unused code: FAILED for the replaced send', () => {
    expect(codeOutcomesOf({ before: code('s1'), after: code('s2', 's1') })).toEqual([{ sendId: 's1', outcome: 'FAILED' }]);
  });

  it('a new send after the code was used: nothing more (it was reported RECEIVED when used)', () => {
    expect(codeOutcomesOf({ before: used('s1'), after: code('s2', 's1') })).toEqual([]);
  });

  it('a revocation puts the replaced code back: nothing for the undelivered send', () => {
    expect(codeOutcomesOf({ before: code('s2', 's1'), after: code('s1') })).toEqual([]);
    expect(codeOutcomesOf({ before: code('s2'), after: used('') })).toEqual([]);
  });

  it('a first send, a deleted item, and a code recorded before sends were named decide nothing', () => {
    expect(codeOutcomesOf({ after: code('s1') })).toEqual([]);
    expect(codeOutcomesOf({ before: code('s1') })).toEqual([]);
    expect(codeOutcomesOf({ before: { hasCode: true }, after: { hasCode: false } })).toEqual([]);
  });
});
