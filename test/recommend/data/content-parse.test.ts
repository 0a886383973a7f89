import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Genome, MovieTags } from '../../../src/recommend/data/content-features.js';
import { GenomeScoresParser, parseGenomeScores, parseGenomeTags } from '../../../src/recommend/data/genome-parse.js';
import { parseTags, TagsParser, type TagsLayout } from '../../../src/recommend/data/tags-parse.js';

const fixture = (...parts: string[]) => resolve(process.cwd(), 'test/fixtures/movielens', ...parts);
const read = (dir: string, file: string, encoding: BufferEncoding = 'utf8') => readFileSync(fixture(dir, file)).toString(encoding);
const f32 = (xs: number[]) => [...Float32Array.from(xs)];

/** assert.throws on the message itself (a RegExp alone is matched against "Error: …"). */
function throwsMessage(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: Error) => {
    assert.match(err.message, pattern);
    return true;
  });
}

function plainGenome(g: Genome) {
  return { tags: g.tags, movieIds: [...g.movieIds], relevance: [...g.relevance] };
}
function plainTags(t: MovieTags) {
  return { tags: t.tags, movieIds: [...t.movieIds], tagIds: [...t.tagIds], counts: [...t.counts] };
}

// Hand-computed from the fixture files (make-fixtures.mjs).
const GENOMES: [string, string, string, ReturnType<typeof plainGenome>][] = [
  ['ml-latest', 'genome-tags.csv', 'genome-scores.csv', {
    tags: ['007', 'action, packed', 'atmospheric'],
    movieIds: [1, 11],
    relevance: f32([0.02500000000000002, 0.9997500000000001, 1, 0.1, 0.25, 0.5]),
  }],
  ['kaggle', 'genome_tags.csv', 'genome_scores.csv', {
    tags: ['007', '007 (series)'],
    movieIds: [1, 2],
    relevance: f32([0.025, 0.0125, 0.5, 0.75]),
  }],
];

const TAGS: [string, TagsLayout, BufferEncoding, ReturnType<typeof plainTags>, number][] = [
  ['ml-latest', 'tags.csv', 'utf8', {
    tags: ['funny, clever', 'pixar', 'the "best"', 'two\nlines'],
    movieIds: [1, 1, 11, 11], tagIds: [0, 1, 2, 3], counts: [1, 2, 1, 1],
  }, 5],
  ['kaggle', 'tag.csv', 'utf8', {
    tags: ['dark hero', 'mark waters'],
    movieIds: [1, 2, 2], tagIds: [0, 0, 1], counts: [1, 1, 1],
  }, 3],
  ['ml-10m', 'tags.dat', 'latin1', {
    tags: ['caf\u00e9 society', 'pixar'],
    movieIds: [1, 29], tagIds: [1, 0], counts: [1, 2],
  }, 3],
];

describe('genome parsers', () => {
  for (const [dir, tagsFile, scoresFile, expected] of GENOMES) {
    it(`parses ${dir}/${tagsFile} and ${scoresFile} (movies ascending, tags in id order)`, () => {
      const tags = parseGenomeTags(read(dir, tagsFile), { fileName: tagsFile });
      assert.deepEqual(tags.tags, expected.tags);
      const scores = parseGenomeScores(read(dir, scoresFile), tags, { fileName: scoresFile });
      assert.deepEqual(plainGenome(scores.genome), expected);
      assert.equal(scores.missingScores, 0);
      assert.equal(scores.badLines, 0);
      assert.ok(scores.genome.relevance instanceof Float32Array);
    });

    it(`parses ${dir}/${scoresFile} the same when fed one character at a time`, () => {
      const tags = parseGenomeTags(read(dir, tagsFile));
      const parser = new GenomeScoresParser(tags);
      for (const ch of read(dir, scoresFile)) parser.push(ch);
      assert.deepEqual(plainGenome(parser.end().genome), expected);
    });
  }

  it('orders tags by id whatever the file order, and counts cells no line gave', () => {
    const tags = parseGenomeTags('tagId,tag\n5,b\n2,a\n');
    assert.deepEqual([...tags.tagIds], [2, 5]);
    assert.deepEqual(tags.tags, ['a', 'b']);
    const scores = parseGenomeScores('movieId,tagId,relevance\n7,5,0.5\n3,2,0.25\n', tags);
    assert.deepEqual(plainGenome(scores.genome), { tags: ['a', 'b'], movieIds: [3, 7], relevance: [0.25, 0, 0, 0.5] });
    assert.equal(scores.missingScores, 2);
  });

  it('a malformed line throws, naming the file, the line number and the reason', () => {
    const tags = parseGenomeTags('tagId,tag\n1,a\n2,b\n');
    const header = 'movieId,tagId,relevance\n1,1,0.5\n';
    const cases: [string, RegExp][] = [
      [`${header}1,x,0.5\n`, /^g\.csv, line 3: bad tag id "x"/],
      [`${header}1,9,0.5\n`, /^g\.csv, line 3: unknown tag id 9 \(not in genome-tags\.csv\)/],
      [`${header}1,2,1.5\n`, /^g\.csv, line 3: bad relevance "1\.5" \(expected 0 to 1\)/],
      [`${header}1,2,\n`, /^g\.csv, line 3: bad relevance ""/],
      [`${header}1,2\n`, /^g\.csv, line 3: expected 3 fields/],
      [`${header}\n\n1,1,0.7\n`, /^g\.csv, line 5: duplicate score for movie 1, tag 1/],
      ['1,1,0.5\n', /^g\.csv, line 1: missing header/],
    ];
    for (const [text, error] of cases) throwsMessage(() => parseGenomeScores(text, tags, { fileName: 'g.csv' }), error);
    throwsMessage(() => parseGenomeTags('tagId,tag\n1,a\n1,b\n', { fileName: 't.csv' }), /^t\.csv, line 3: duplicate tag id 1/);
    assert.throws(() => parseGenomeTags('tagId,tag\n1,"a\n'), /line 2: unterminated quoted field/);
  });

  it('skipBadLines counts malformed lines and keeps the good ones', () => {
    const tags = parseGenomeTags('tagId,tag\n1,a\n');
    const result = parseGenomeScores('movieId,tagId,relevance\n1,1,0.5\n2,1,nope\n3,1,0.25\n3,1,0.3\n', tags, { fileName: 'g.csv', skipBadLines: true });
    assert.equal(result.badLines, 2);
    assert.match(result.firstBad ?? '', /^g\.csv, line 3: bad relevance "nope"/);
    assert.deepEqual(plainGenome(result.genome), { tags: ['a'], movieIds: [1, 3], relevance: [0.5, 0.25] });
  });
});

describe('tags parser', () => {
  for (const [dir, layout, encoding, expected, applications] of TAGS) {
    it(`parses ${dir}/${layout}: lower-cased, trimmed, aggregated per movie and tag`, () => {
      const result = parseTags(read(dir, layout, encoding), layout);
      assert.deepEqual(plainTags(result.tags), expected);
      assert.equal(result.applications, applications);
      assert.equal(result.badLines, 0);
    });

    it(`parses ${dir}/${layout} the same when fed one character at a time`, () => {
      const parser = new TagsParser(layout);
      for (const ch of read(dir, layout, encoding)) parser.push(ch);
      assert.deepEqual(plainTags(parser.end().tags), expected);
    });
  }

  it('a malformed line throws, naming the file, the line number and the reason', () => {
    const h = 'userId,movieId,tag,timestamp\n1,2,ok,964982703\n';
    throwsMessage(() => parseTags(`${h}1,x,a,964982703\n`, 'tags.csv', { fileName: 't.csv' }), /^t\.csv, line 3: bad movie id "x"/);
    throwsMessage(() => parseTags(`${h}1,2,a,b,964982703\n`, 'tags.csv'), /^tags\.csv, line 3: expected 4 fields/);
    assert.throws(() => parseTags(`${h}1,2,a,2009-04-24 18:19:40\n`, 'tags.csv'), /line 3: bad timestamp "2009-04-24 18:19:40" \(expected unix seconds\)/);
    assert.throws(() => parseTags(`${h.replace('964982703', '2009-04-24 18:19:40')}1,2,a,964982703\n`, 'tag.csv'), /tag\.csv, line 3: bad timestamp "964982703" \(expected YYYY-MM-DD HH:MM:SS\)/);
    assert.throws(() => parseTags(`${h}1,2,"open,964982703\n`, 'tags.csv'), /tags\.csv, line 3: unterminated quoted field/);
    assert.throws(() => parseTags('1,2,a,964982703\n', 'tags.csv'), /line 1: missing header/);
    assert.throws(() => parseTags('1::2::a\n', 'tags.dat'), /tags\.dat, line 1: expected 4 fields/);
  });

  it('skipBadLines counts malformed lines; an empty tag is ignored, not malformed', () => {
    const text = 'userId,movieId,tag,timestamp\n1,2,a,964982703\n1,2,a,oops\n1,3,  ,964982703\n2,2,A,964982703\n';
    const result = parseTags(text, 'tags.csv', { skipBadLines: true });
    assert.equal(result.badLines, 1);
    assert.match(result.firstBad ?? '', /line 3: bad timestamp "oops"/);
    assert.equal(result.emptyTags, 1);
    assert.deepEqual(plainTags(result.tags), { tags: ['a'], movieIds: [2], tagIds: [0], counts: [2] });
  });
});
