/** The served models: version, age, the streamed ratings each has not seen, and the retrain schedule. */
import { emptyRow } from './cells.js';
import { byId, byTestId, h, setText } from './dom.js';
import { fmtInt } from './format.js';
import { durationText, freshnessRows, retrainText, type RecommendState } from './recommend-state.js';

export function createModelsPanel(): (s: RecommendState, now: number) => void {
  const body = byId('models-body');
  const retrain = byTestId('retrain-status');
  const served = byId('served-meta');
  return (s, now) => {
    const rows = freshnessRows(s.health, s.healthAt, now);
    body.replaceChildren(...(rows.length > 0
      ? rows.map((r) => h('tr', { 'data-testid': 'model-row', 'data-model': r.model },
        h('td', null, r.model, r.isDefault ? h('span', { class: 'badge-default' }, 'default') : null),
        h('td', { class: 'version', title: r.version }, r.version),
        h('td', { class: 'num', 'data-testid': 'model-age' }, durationText(r.ageSeconds)),
        h('td', { class: 'num', 'data-testid': 'model-unseen', title: 'streamed ratings newer than its training data' }, r.notSeen === null ? '—' : fmtInt(r.notSeen)),
        h('td', null, r.dataset)))
      : [emptyRow(5, s.health ? 'No model loaded: run `streamrec train` (or retrain on a schedule).' : 'Loading…')]));
    setText(retrain, s.health ? retrainText(s.health.retrain, now) : '');
    setText(served, s.health?.default_model ? `serving ${s.health.default_model} by default` : 'no model served yet');
  };
}
