import { describe, expect, it } from 'vitest';
import { codeGroups, defaultPositions, fromBottom, layout, overlayQuery, parseOverlayParams, positions } from './overlay';

describe('overlay URL parameters', () => {
  it('shows the question, the featured post and the reactions when no widget is named', () => {
    const p = parseOverlayParams('?talk=12');
    expect(p).toEqual({
      talkID: 12,
      theme: 'dark',
      lang: null,
      qr: true,
      widgets: { question: 'bottom', post: 'top-right', reactions: 'bottom-right' },
    });
  });

  it('shows exactly the widgets named, at their positions', () => {
    const p = parseOverlayParams('talk=3&join=top-left&question=top');
    expect(p.widgets).toEqual({ join: 'top-left', question: 'top' });
  });

  it('ignores parameters that name no widget', () => {
    expect(parseOverlayParams('talk=3&quiz=center&question=top').widgets).toEqual({ question: 'top' });
  });

  it('takes every position', () => {
    for (const pos of positions) expect(parseOverlayParams(`post=${pos}`).widgets).toEqual({ post: pos });
  });

  it('puts a widget with an unknown or empty position at its default', () => {
    const p = parseOverlayParams('question=middle&post=&reactions=BOTTOM-LEFT&join=1');
    expect(p.widgets).toEqual({
      question: defaultPositions.question,
      post: defaultPositions.post,
      reactions: 'bottom-left',
      join: defaultPositions.join,
    });
  });

  it('reads the poll widget, at the left edge by default, and not among the defaults', () => {
    expect(parseOverlayParams('talk=3&poll=right').widgets).toEqual({ poll: 'right' });
    expect(parseOverlayParams('talk=3&poll=').widgets).toEqual({ poll: 'left' });
    expect(parseOverlayParams('talk=3').widgets.poll).toBeUndefined();
    const p = parseOverlayParams('talk=3&poll=center&question=bottom');
    expect(parseOverlayParams(overlayQuery(p))).toEqual(p);
    expect(overlayQuery({ talkID: 3, widgets: { poll: 'right' } })).toBe('talk=3&poll=right');
  });

  it('reads the theme, dark unless light', () => {
    expect(parseOverlayParams('theme=light').theme).toBe('light');
    expect(parseOverlayParams('theme=LIGHT').theme).toBe('light');
    expect(parseOverlayParams('theme=dark').theme).toBe('dark');
    expect(parseOverlayParams('theme=pink').theme).toBe('dark');
    expect(parseOverlayParams('').theme).toBe('dark');
  });

  it('reads the language, else leaves it to the browser', () => {
    expect(parseOverlayParams('lang=ja').lang).toBe('ja');
    expect(parseOverlayParams('lang=en').lang).toBe('en');
    expect(parseOverlayParams('lang=fr').lang).toBeNull();
    expect(parseOverlayParams('').lang).toBeNull();
  });

  it('takes only a positive whole number as the talk', () => {
    expect(parseOverlayParams('talk=7').talkID).toBe(7);
    for (const bad of ['0', '-1', '1.5', 'abc', '', '1e3', '99999999999999999999', '07']) {
      expect(parseOverlayParams(`talk=${bad}`).talkID).toBeNull();
    }
    expect(parseOverlayParams('post=top').talkID).toBeNull();
  });

  it('turns the QR code off with qr=0', () => {
    expect(parseOverlayParams('join=top').qr).toBe(true);
    expect(parseOverlayParams('join=top&qr=0').qr).toBe(false);
    expect(parseOverlayParams('join=top&qr=off').qr).toBe(false);
    expect(parseOverlayParams('join=top&qr=1').qr).toBe(true);
  });

  it('reads back what overlayQuery writes', () => {
    const p = parseOverlayParams('talk=5&theme=light&lang=ja&qr=0&join=bottom-left&reactions=right');
    expect(parseOverlayParams(overlayQuery(p))).toEqual(p);
    expect(overlayQuery({ talkID: 5, widgets: { question: 'bottom' } })).toBe('talk=5&question=bottom');
  });
});

describe('overlay layout', () => {
  it('groups the widgets by position, in drawing order', () => {
    const l = layout(parseOverlayParams('talk=1&join=bottom-right&reactions=bottom-right&post=bottom-right&question=bottom'));
    expect([...l.entries()]).toEqual([
      ['bottom-right', ['post', 'reactions', 'join']],
      ['bottom', ['question']],
    ]);
    // The poll draws after the question and before the reactions.
    const shared = layout(parseOverlayParams('talk=1&reactions=right&poll=right&question=right'));
    expect([...shared.entries()]).toEqual([['right', ['question', 'poll', 'reactions']]]);
  });

  it('draws the talk widgets only with a talk', () => {
    const l = layout(parseOverlayParams('question=bottom&reactions=right&post=top&join=top-left'));
    expect([...l.keys()]).toEqual(['top', 'top-left']);
    expect(layout(parseOverlayParams('poll=right')).size).toBe(0); // a poll is a talk's
    expect(layout(parseOverlayParams('talk=2&poll=right')).get('right')).toEqual(['poll']);
    expect(layout(parseOverlayParams('')).size).toBe(1); // the featured post alone
  });

  it('stacks the bottom row from the bottom up', () => {
    expect(fromBottom('bottom-left')).toBe(true);
    expect(fromBottom('bottom')).toBe(true);
    expect(fromBottom('center')).toBe(false);
    expect(fromBottom('top-right')).toBe(false);
  });
});

describe('join code groups', () => {
  it('splits a code in two halves for reading', () => {
    expect(codeGroups('ABC234')).toEqual(['ABC', '234']);
    expect(codeGroups('ABCDEFG')).toEqual(['ABCD', 'EFG']);
    expect(codeGroups('AB')).toEqual(['AB']);
    expect(codeGroups('')).toEqual(['']);
  });
});
