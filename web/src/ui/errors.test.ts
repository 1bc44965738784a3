import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../api';
import { setLocale } from '../i18n';
import { errorText } from './errors';

const invalid = (message: string, details: { field?: string; reason?: string; limit?: number }) =>
  new ApiError(400, 'invalid_argument', message, 0, details);

describe('errorText words validation errors from their details', () => {
  afterEach(() => setLocale('en'));

  it('says a rejected question in Japanese only, not mixed with the English message', () => {
    setLocale('ja');
    const err = invalid('body contains a text direction control (U+202E)', { field: 'body', reason: 'direction_control' });
    const text = errorText(err);
    expect(text).toBe('本文に文字の向きを変える見えない制御文字（U+202E など）が含まれています。削除してからもう一度お試しください。');
    expect(text).not.toMatch(/contains|body/);
    expect(errorText(invalid('display_name must be at most 50 characters (got 51)', { field: 'display_name', reason: 'too_long', limit: 50 }))).toBe(
      '名前は 50 文字以内で入力してください。',
    );
    expect(errorText(invalid('body must be at most 500 characters (got 501)', { field: 'body', reason: 'too_long', limit: 500 }))).toBe(
      '質問は 500 文字以内で入力してください。',
    );
    expect(errorText(invalid('ends_at must not be before starts_at', { field: 'ends_at', reason: 'order' }))).toBe('終了時刻は開始時刻より後にしてください。');
    expect(errorText(invalid('title must be a single line', { field: 'title', reason: 'multiline' }))).toBe('タイトルは 1 行で入力してください。');
  });

  it('in English too, with the limit', () => {
    expect(errorText(invalid('x', { field: 'body', reason: 'direction_control' }))).toBe(
      'The text contains an invisible text direction character (such as U+202E). Remove it and try again.',
    );
    expect(errorText(invalid('x', { field: 'speaker', reason: 'too_long', limit: 100 }))).toBe('The speaker can be at most 100 characters.');
    expect(errorText(invalid('x', { field: 'slug', reason: 'format', limit: 64 }))).toBe(
      'The slug can only have lower-case letters, digits and single dashes.',
    );
    expect(errorText(invalid('x', { field: 'whatever', reason: 'empty' }))).toBe('The value must not be empty.');
  });

  it('names a poll field, and keeps the server message where only it says what is wrong', () => {
    expect(errorText(invalid('question must be at most 200 characters', { field: 'question', reason: 'too_long', limit: 200 }))).toBe(
      'The question can be at most 200 characters.',
    );
    expect(errorText(invalid('x', { field: 'question', reason: 'control_character' }))).toBe(
      'The question contains an invisible control character. Remove it and try again.',
    );
    expect(errorText(invalid('option "Go" is given twice', { field: 'options', reason: 'format' }))).toBe('The options: option "Go" is given twice');
    expect(errorText(invalid('x', { field: 'results_mode', reason: 'format' }))).toBe('How results are shown is not in the expected form.');
    expect(errorText(invalid('x', { field: 'text', reason: 'too_long', limit: 60 }))).toBe('Your answer can be at most 60 characters.');
    setLocale('ja');
    expect(errorText(invalid('x', { field: 'question', reason: 'empty' }))).toBe('質問を入力してください。');
    expect(errorText(invalid('x', { field: 'text', reason: 'too_long', limit: 60 }))).toBe('あなたの回答は 60 文字以内で入力してください。');
    expect(errorText(invalid('x', { field: 'kind', reason: 'format' }))).toBe('種類の形式が正しくありません。');
  });

  it('falls back to the message for an error without details', () => {
    expect(errorText(invalid('sort must be one of top, recent, answered, hidden', {}))).toBe(
      'Please check your input: sort must be one of top, recent, answered, hidden',
    );
    expect(errorText(invalid('', { reason: 'some_new_reason' }))).toBe('Please check your input.');
  });
});
