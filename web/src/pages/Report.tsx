// Staff: the post-event report of an event (/admin/e/{id}/report) or of a
// talk (/admin/e/{id}/t/{talk}/report): totals, participants joined,
// questions asked and connections over time, per-talk numbers, top
// questions, moderation outcomes, reactions and polls. Read once from the
// server (act/report.go) with a button to read it again; printable (A4,
// styles/report.css). Charts are ui/charts.tsx (hand-drawn SVG); times are
// in the event's time zone.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { t } from '../i18n';
import type { EventReport, KoeEvent, Question, ReportConnections, ReportQuestions, Talk, TalkReport } from '../types';
import {
  ChartCard, coarserStep, cumulative, DataTable, dayKey, fillSlots, floorTo, fmtNum, fmtWhen, HBar, Legend, minuteMs, peakOf, spanOf, StackBar,
  TimeChart, toPoints, type Point,
} from '../ui/charts';
import { Header, Notice, Spinner } from '../ui/chrome';
import { errorText } from '../ui/errors';
import { fmtDateTime } from '../ui/format';
import { useTitle } from '../ui/hooks';
import { PollResultsView } from '../ui/pollresults';
import { TalkMeta } from '../ui/qa';
import { StaffTools } from '../ui/staff';
import { RoleGate } from './AdminEvent';
import '../styles/admin.css';
import '../styles/report.css';

/** Most bars a chart draws; longer spans go in coarser slots (the server already picks an interval for about 96). */
const maxBars = 100;

export function ReportPage({ eventID, talkID }: { eventID: number; talkID?: number }) {
  return (
    <RoleGate eventID={eventID} title={t('reportTitle')} refusal={t('noRoleInEvent')}>
      {(me) => <ReportView key={`${eventID}/${talkID ?? ''}`} eventID={eventID} talkID={talkID} limit={me.talks} />}
    </RoleGate>
  );
}

type Loaded = { event: KoeEvent; report: { kind: 'event'; r: EventReport } | { kind: 'talk'; r: TalkReport } };

function ReportView({ eventID, talkID, limit }: { eventID: number; talkID?: number; limit: number[] }) {
  const [data, setData] = useState<Loaded | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const load = async () => {
    setBusy(true);
    try {
      const [event, report] = await Promise.all([
        api.event(eventID),
        talkID ? api.talkReport(eventID, talkID).then((r) => ({ kind: 'talk' as const, r })) : api.eventReport(eventID).then((r) => ({ kind: 'event' as const, r })),
      ]);
      setData({ event, report });
      setErr(null);
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => void load(), [eventID, talkID]);
  const event = data?.event;
  const talk = data?.report.kind === 'talk' ? data.report.r.talk : undefined;
  useTitle(event ? `${t('reportTitle')}: ${talk ? talk.title : event.title}` : t('reportTitle'));
  const deskHref = talkID ? `/admin/e/${eventID}/t/${talkID}` : `/admin/e/${eventID}`;
  const forbidden = err instanceof ApiError && err.status === 403;

  return (
    <>
      <Header title={event?.title} wide>
        <StaffTools />
      </Header>
      <main id="main" class="page admin admin-wide report" aria-busy={busy}>
        <nav class="crumbs report-noprint" aria-label={t('reportCrumbs')}>
          <a href={deskHref}>← {event?.title ?? t('backToEvent')}</a>
          {talkID && limit.length === 0 && (
            <>
              {' · '}
              <a href={`/admin/e/${eventID}/report`} data-testid="event-report-link">
                {t('reportEventReport')}
              </a>
            </>
          )}
        </nav>
        {err ? (
          <Notice kind={forbidden ? 'warn' : 'error'}>{forbidden ? (talkID ? t('reportTalkForbidden') : t('reportEventForbidden')) : errorText(err)}</Notice>
        ) : !data ? (
          <Spinner />
        ) : (
          <>
            <ReportHead event={data.event} talk={talk} generatedAt={data.report.r.generated_at} tz={data.report.r.time_zone || data.event.time_zone} busy={busy} onRefresh={() => void load()} />
            {data.report.kind === 'event' ? <EventBody event={data.event} r={data.report.r} /> : <TalkBody r={data.report.r} />}
          </>
        )}
      </main>
    </>
  );
}

function ReportHead({ event, talk, generatedAt, tz, busy, onRefresh }: { event: KoeEvent; talk?: Talk; generatedAt: string; tz: string; busy: boolean; onRefresh: () => void }) {
  return (
    <header class="report-head">
      <div class="report-head-text">
        <p class="eyebrow">{talk ? t('reportTalkReport') : t('reportEventReport')}</p>
        {talk ? (
          <>
            <h1 data-testid="report-title" dir="auto">
              {talk.title}
            </h1>
            <p class="report-of" dir="auto">
              {event.title}
            </p>
            <TalkMeta talk={talk} tz={tz} />
          </>
        ) : (
          <h1 data-testid="report-title" dir="auto">
            {event.title}
          </h1>
        )}
        <p class="muted small report-generated" data-testid="report-generated">
          {t('reportGenerated', { time: fmtDateTime(generatedAt, tz), tz })}
        </p>
      </div>
      <div class="report-actions report-noprint">
        <button type="button" class="btn btn-small" onClick={onRefresh} disabled={busy} data-testid="report-refresh">
          {t('reportRefresh')}
        </button>
        <button type="button" class="btn btn-small btn-primary" onClick={() => window.print()} data-testid="report-print">
          <svg viewBox="0 0 24 24" class="icon" aria-hidden="true">
            <path d="M7 9V4h10v5M7 17H5a2 2 0 0 1-2-2v-4a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2v4a2 2 0 0 1-2 2h-2M7 14h10v6H7z" class="icon-line" />
          </svg>
          {t('reportPrint')}
        </button>
      </div>
    </header>
  );
}

// Summary tiles.

function Tile({ id, label, value, sub, data }: { id: string; label: string; value: string; sub?: string; data?: Record<string, string | number> }) {
  const attrs: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(data ?? {})) attrs[`data-${k}`] = v;
  return (
    <div class="tile" data-testid={`tile-${id}`} {...attrs}>
      <dt>{label}</dt>
      <dd>
        <span class="tile-value">{value}</span>
        {sub && <span class="tile-sub">{sub}</span>}
      </dd>
    </div>
  );
}

function QuestionTiles({ q, reactions, conn, tz, multiDay }: { q: ReportQuestions; reactions: number; conn: ReportConnections; tz: string; multiDay: boolean }) {
  const peakAt = conn.peak_at ? Date.parse(conn.peak_at) : NaN;
  return (
    <>
      <Tile id="questions" label={t('reportQuestions')} value={`${fmtNum(q.shown)} / ${fmtNum(q.total)}`} sub={t('reportShownOfTotal')} data={{ shown: q.shown, total: q.total }} />
      <Tile id="answered" label={t('answered')} value={fmtNum(q.answered)} data={{ value: q.answered }} />
      <Tile id="likes" label={t('reportLikes')} value={fmtNum(q.likes)} data={{ value: q.likes }} />
      <Tile id="replies" label={t('reportReplies')} value={fmtNum(q.replies)} data={{ value: q.replies }} />
      <Tile id="reactions" label={t('reportReactions')} value={fmtNum(reactions)} data={{ value: reactions }} />
      <Tile
        id="peak"
        label={t('reportPeak')}
        value={fmtNum(conn.peak)}
        sub={conn.peak > 0 && Number.isFinite(peakAt) ? t('reportPeakAt', { time: fmtWhen(peakAt, tz, multiDay) }) : t('reportNoPeakYet')}
        data={{ value: conn.peak }}
      />
    </>
  );
}

// The time series, on one shared time range.

interface Series {
  from: number;
  to: number;
  step: number;
  multiDay: boolean;
  joined?: Point[];
  asked: Point[];
  /** The most connections at once in each slot. */
  conn: Point[];
}

/** Slots a time chart shows at least: a short span is drawn with the quiet time before it. */
const minSlots = 12;
/** How far the scheduled times may lie from the data and still widen the range (a wrong date must not squash the chart). */
const scheduleReach = 24 * 60 * minuteMs;

/**
 * The report's series on one time range: the data's, widened to the
 * scheduled start and end (the end no later than the report: no empty
 * future) and to at least minSlots slots, in slots of the report's
 * interval (coarser when the range is long).
 */
function series(
  tz: string, intervalMinutes: number, asked: ReportQuestions, conn: ReportConnections,
  when: { starts_at: string | null; ends_at: string | null; generated_at: string }, joined?: EventReport['participants'],
): Series | null {
  const j = joined ? toPoints(joined.joined) : [];
  const a = toPoints(asked.asked);
  const c = toPoints(conn.series);
  const span = spanOf(j, a, c);
  if (!span) return null;
  const interval = intervalMinutes > 0 ? intervalMinutes * minuteMs : 5 * minuteMs;
  let first = span.from;
  let last = span.to;
  const start = when.starts_at ? Date.parse(when.starts_at) : NaN;
  const end = Math.min(when.ends_at ? Date.parse(when.ends_at) : NaN, Date.parse(when.generated_at));
  if (Number.isFinite(start) && start < first && first - start <= scheduleReach) first = start;
  if (Number.isFinite(end) && end > last && end - last <= scheduleReach) last = end;
  const step = coarserStep(interval, last - first, maxBars);
  const to = floorTo(last, step);
  const from = Math.min(floorTo(first, step), to - (minSlots - 1) * step);
  return {
    from,
    to,
    step,
    multiDay: dayKey(from, tz) !== dayKey(to + step, tz),
    joined: joined ? fillSlots(j, step, from, to) : undefined,
    asked: fillSlots(a, step, from, to),
    // A slot without a peak is one nobody was connected in (the hub reports every talk with an audience every few seconds).
    conn: fillSlots(c, step, from, to, 'max'),
  };
}

const mins = (ms: number) => Math.round(ms / minuteMs);

function JoinedChart({ s, tz, total }: { s: Series | null; tz: string; total: number }) {
  const pts = s?.joined ?? [];
  const peak = peakOf(pts);
  return (
    <ChartCard id="chart-joined" title={t('reportJoinedTitle')} sub={s ? `${t('reportPerInterval', { n: mins(s.step) })} · ${t('reportTimesIn', { tz })}` : undefined}>
      {!s || !peak ? (
        <p class="empty" data-testid="joined-empty">
          {t('reportNoJoins')}
        </p>
      ) : (
        <>
          <TimeChart
            testid="chart-joined"
            label={t('reportJoinedAria', {
              from: fmtWhen(s.from, tz, s.multiDay), to: fmtWhen(s.to + s.step, tz, s.multiDay), total: fmtNum(total), max: fmtNum(peak.v), n: mins(s.step), at: fmtWhen(peak.t, tz, s.multiDay),
            })}
            tz={tz}
            from={s.from}
            to={s.to}
            step={s.step}
            bars={pts}
            line={[{ t: s.from - s.step, v: 0 }, ...cumulative(pts)]}
            lineAt={s.step}
            lineAxis="right"
          />
          <Legend items={[{ kind: 'bar', label: t('reportJoinedBars') }, { kind: 'total', label: t('reportJoinedTotal') }]} />
          <DataTable
            summary={t('reportShowData')}
            caption={t('reportJoinedTitle')}
            head={[t('reportColTime'), t('reportJoinedBars'), t('reportJoinedTotal')]}
            rows={cumulative(pts).flatMap((c, i) => (pts[i].v > 0 ? [[fmtWhen(c.t, tz, s.multiDay), pts[i].v, c.v]] : []))}
          />
        </>
      )}
    </ChartCard>
  );
}

function AskedChart({ s, tz, total }: { s: Series | null; tz: string; total: number }) {
  const pts = s?.asked ?? [];
  const peak = peakOf(pts);
  return (
    <ChartCard id="chart-asked" title={t('reportAskedTitle')} sub={s ? `${t('reportPerInterval', { n: mins(s.step) })} · ${t('reportTimesIn', { tz })}` : undefined}>
      {!s || !peak ? (
        <p class="empty" data-testid="asked-empty">
          {t('reportNoQuestions')}
        </p>
      ) : (
        <>
          <TimeChart
            testid="chart-asked"
            label={t('reportAskedAria', {
              from: fmtWhen(s.from, tz, s.multiDay), to: fmtWhen(s.to + s.step, tz, s.multiDay), total: fmtNum(total), max: fmtNum(peak.v), n: mins(s.step), at: fmtWhen(peak.t, tz, s.multiDay),
            })}
            tz={tz}
            from={s.from}
            to={s.to}
            step={s.step}
            bars={pts}
          />
          <DataTable
            summary={t('reportShowData')}
            caption={t('reportAskedTitle')}
            head={[t('reportColTime'), t('reportAskedBars')]}
            rows={pts.flatMap((p) => (p.v > 0 ? [[fmtWhen(p.t, tz, s.multiDay), p.v]] : []))}
          />
        </>
      )}
    </ChartCard>
  );
}

function ConnectionsChart({ s, tz, conn }: { s: Series | null; tz: string; conn: ReportConnections }) {
  const pts = s?.conn ?? [];
  const seen = peakOf(pts);
  const peakAt = conn.peak_at ? Date.parse(conn.peak_at) : NaN;
  // The server's peak and its minute are exact; the line's own is the fallback.
  const exact = conn.peak > 0 && Number.isFinite(peakAt);
  const peak = s && exact ? { t: floorTo(peakAt, s.step), v: conn.peak } : seen;
  return (
    <ChartCard id="chart-conn" title={t('reportConnectionsTitle')} sub={s ? `${t('reportConnectionsSub', { n: mins(s.step) })} · ${t('reportTimesIn', { tz })}` : undefined}>
      {!s || !seen || !peak ? (
        <p class="empty" data-testid="conn-empty">
          {t('reportNoConnections')}
        </p>
      ) : (
        <>
          <TimeChart
            testid="chart-conn"
            label={t('reportConnectionsAria', {
              from: fmtWhen(s.from, tz, s.multiDay), to: fmtWhen(s.to + s.step, tz, s.multiDay), peak: fmtNum(peak.v), at: fmtWhen(exact ? peakAt : peak.t, tz, s.multiDay),
            })}
            tz={tz}
            from={s.from}
            to={s.to}
            step={s.step}
            line={pts}
            lineAt={s.step / 2}
            mark={{ p: peak, label: t('reportPeakMark', { n: fmtNum(peak.v), time: fmtWhen(exact ? peakAt : peak.t, tz, s.multiDay) }) }}
          />
          <DataTable
            summary={t('reportShowData')}
            caption={t('reportConnectionsTitle')}
            head={[t('reportColTime'), t('reportConnectionsCol')]}
            rows={pts.flatMap((p) => (p.v > 0 ? [[fmtWhen(p.t, tz, s.multiDay), p.v]] : []))}
          />
        </>
      )}
    </ChartCard>
  );
}

// Lists.

function TopQuestions({ questions, talks }: { questions: Question[]; talks?: Map<number, Talk> }) {
  return (
    <ChartCard id="top-h" title={t('reportTopQuestions')} sub={t('reportTopLead')} wide>
      {questions.length === 0 ? (
        <p class="empty" data-testid="top-empty">
          {t('reportNoTopQuestions')}
        </p>
      ) : (
        <ol class="report-top" data-testid="top-questions">
          {questions.map((q, i) => {
            const talk = talks?.get(q.talk_id);
            return (
              <li key={q.id} class="report-top-item" data-testid="top-question" data-question={q.id} data-likes={q.likes}>
                <span class="report-rank" aria-hidden="true">
                  {i + 1}
                </span>
                <div class="report-top-text">
                  <p class="report-top-body" dir="auto">
                    {q.body}
                  </p>
                  <p class="report-top-meta">
                    <span class={q.author_name ? 'q-author' : 'q-anon'}>{q.author_name || t('anonymous')}</span>
                    {talk && (
                      <>
                        <span aria-hidden="true">·</span>
                        <span class="report-top-talk" dir="auto">
                          {talk.title}
                        </span>
                      </>
                    )}
                    {q.answered && <span class="badge badge-answered">{t('answered')}</span>}
                  </p>
                </div>
                <span class="report-top-likes" data-testid="top-likes">
                  <span class="report-top-likes-n">{fmtNum(q.likes)}</span>
                  <span class="report-top-likes-l">{t('reportLikesUnit', { n: q.likes })}</span>
                </span>
              </li>
            );
          })}
        </ol>
      )}
    </ChartCard>
  );
}

const outcomes = ['approved', 'rejected', 'pending', 'flagged'] as const;
const outcomeKey = { approved: 'stateApproved', rejected: 'stateRejected', pending: 'statePending', flagged: 'stateFlagged' } as const;

function ModerationOutcomes({ m }: { m: EventReport['moderation'] }) {
  const total = outcomes.reduce((s, k) => s + (m[k] ?? 0), 0);
  const label = t('reportModerationAria', { approved: fmtNum(m.approved), rejected: fmtNum(m.rejected), pending: fmtNum(m.pending), flagged: fmtNum(m.flagged) });
  return (
    <ChartCard id="mod-h" title={t('reportModeration')} sub={t('reportModerationLead')}>
      {total === 0 ? (
        <p class="empty" data-testid="moderation-empty">
          {t('reportNoModeration')}
        </p>
      ) : (
        <div class="report-mod" data-testid="moderation">
          <StackBar label={label} parts={outcomes.map((k) => ({ key: k, value: m[k] ?? 0 }))} />
          <dl class="report-mod-list">
            {outcomes.map((k) => (
              <div key={k} class={`report-mod-item report-mod-${k}`} data-outcome={k} data-value={m[k] ?? 0}>
                <dt>
                  <svg class="ch-swatch" viewBox="0 0 10 10" aria-hidden="true">
                    <rect class={`ch-part ch-part-${k}`} width="10" height="10" rx="2" />
                  </svg>
                  {t(outcomeKey[k])}
                </dt>
                <dd>{fmtNum(m[k] ?? 0)}</dd>
              </div>
            ))}
          </dl>
        </div>
      )}
    </ChartCard>
  );
}

function PerTalk({ r, eventID, tz }: { r: EventReport; eventID: number; tz: string }) {
  const max = {
    questions: Math.max(0, ...r.talks.map((x) => x.questions)),
    likes: Math.max(0, ...r.talks.map((x) => x.likes)),
    reactions: Math.max(0, ...r.talks.map((x) => x.reactions)),
  };
  const cols = [
    ['questions', t('reportQuestions')],
    ['likes', t('reportLikes')],
    ['reactions', t('reportReactions')],
  ] as const;
  return (
    <ChartCard id="talks-h" title={t('reportPerTalk')} sub={r.talks.length ? t('reportPerTalkLead') : undefined} wide>
      {r.talks.length === 0 ? (
        <p class="empty">{t('reportNoTalks')}</p>
      ) : (
        <ol class="report-talks" data-testid="report-talks">
          {r.talks.map((row) => (
            <li key={row.talk.id} class="report-talk" data-talk={row.talk.id} data-questions={row.questions} data-likes={row.likes} data-reactions={row.reactions}>
              <div class="report-talk-name">
                <a href={`/admin/e/${eventID}/t/${row.talk.id}/report`} class="report-talk-link" dir="auto">
                  {row.talk.title}
                </a>
                <TalkMeta talk={row.talk} tz={tz} />
                <p class="report-talk-more muted small">{t('reportTalkMore', { answered: fmtNum(row.answered), shown: fmtNum(row.shown), peak: fmtNum(row.peak_connections) })}</p>
              </div>
              <dl class="report-talk-bars">
                {cols.map(([k, name]) => (
                  <div key={k} class={`report-talk-bar report-talk-${k}`} data-col={k}>
                    <dt>{name}</dt>
                    <dd>
                      <HBar value={row[k]} max={max[k]} kind={k} />
                      <span class="report-talk-n">{fmtNum(row[k])}</span>
                    </dd>
                  </div>
                ))}
              </dl>
            </li>
          ))}
        </ol>
      )}
    </ChartCard>
  );
}

function Reactions({ counts }: { counts: Record<string, number> }) {
  const rows = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const max = Math.max(0, ...rows.map(([, n]) => n));
  return (
    <ChartCard id="reactions-h" title={t('reportReactionsTitle')}>
      {rows.length === 0 ? (
        <p class="empty" data-testid="reactions-empty">
          {t('reportNoReactions')}
        </p>
      ) : (
        <ul class="report-reactions" data-testid="report-reactions">
          {rows.map(([emoji, n]) => (
            <li key={emoji} class="report-reaction" data-emoji={emoji} data-count={n}>
              <span class="report-emoji">{emoji}</span>
              <HBar value={n} max={max} kind="reactions" />
              <span class="report-talk-n">{fmtNum(n)}</span>
            </li>
          ))}
        </ul>
      )}
    </ChartCard>
  );
}

function Polls({ polls }: { polls: TalkReport['polls'] }) {
  return (
    <ChartCard id="polls-h" title={t('reportPolls')}>
      {polls.length === 0 ? (
        <p class="empty" data-testid="polls-empty">
          {t('reportNoPolls')}
        </p>
      ) : (
        <ul class="report-polls">
          {polls.map(({ poll, results }) => (
            <li key={poll.id} class="report-poll" data-testid="report-poll" data-poll={poll.id}>
              <h3 dir="auto">{poll.question}</h3>
              <PollResultsView poll={poll} results={results} size="phone" />
            </li>
          ))}
        </ul>
      )}
    </ChartCard>
  );
}

// The two reports.

function EventBody({ event, r }: { event: KoeEvent; r: EventReport }) {
  const tz = r.time_zone || event.time_zone;
  const s = series(tz, r.interval_minutes, r.questions, r.connections, { starts_at: event.starts_at, ends_at: event.ends_at, generated_at: r.generated_at }, r.participants);
  const reactions = r.talks.reduce((sum, x) => sum + x.reactions, 0);
  const talks = new Map(r.talks.map((x) => [x.talk.id, x.talk]));
  const empty = r.participants.total === 0 && r.questions.total === 0;
  return (
    <>
      <dl class="report-tiles" aria-label={t('reportSummary')}>
        <Tile id="participants" label={t('reportParticipants')} value={fmtNum(r.participants.total)} data={{ value: r.participants.total }} />
        <QuestionTiles q={r.questions} reactions={reactions} conn={r.connections} tz={tz} multiDay={s?.multiDay ?? false} />
      </dl>
      {empty && (
        <p class="report-empty" data-testid="report-empty">
          {t('reportEmptyEvent')}
        </p>
      )}
      <div class="report-grid">
        <JoinedChart s={s} tz={tz} total={r.participants.total} />
        <AskedChart s={s} tz={tz} total={r.questions.total} />
        <ConnectionsChart s={s} tz={tz} conn={r.connections} />
        <ModerationOutcomes m={r.moderation} />
        <PerTalk r={r} eventID={event.id} tz={tz} />
        <TopQuestions questions={r.top_questions ?? []} talks={talks} />
      </div>
    </>
  );
}

function TalkBody({ r }: { r: TalkReport }) {
  const tz = r.time_zone || 'UTC';
  const s = series(tz, r.interval_minutes, r.questions, r.connections, { ...r.talk, generated_at: r.generated_at });
  const reactions = Object.values(r.reactions ?? {}).reduce((sum, n) => sum + (n > 0 ? n : 0), 0);
  const empty = r.questions.total === 0 && reactions === 0 && r.connections.peak === 0 && (r.polls ?? []).length === 0;
  return (
    <>
      <dl class="report-tiles" aria-label={t('reportSummary')}>
        <QuestionTiles q={r.questions} reactions={reactions} conn={r.connections} tz={tz} multiDay={s?.multiDay ?? false} />
      </dl>
      {empty && (
        <p class="report-empty" data-testid="report-empty">
          {t('reportEmptyTalk')}
        </p>
      )}
      <div class="report-grid">
        <AskedChart s={s} tz={tz} total={r.questions.total} />
        <ConnectionsChart s={s} tz={tz} conn={r.connections} />
        <Reactions counts={r.reactions ?? {}} />
        <Polls polls={r.polls ?? []} />
        <TopQuestions questions={r.top_questions ?? []} />
      </div>
    </>
  );
}
