"""The directory held as arrays, one row per activity, kept current one edit at a time.

Everything a match needs is here as numpy columns (place, features, categories, weekly slots,
places free in the coming four weeks) plus a TF-IDF matrix in column-major (CSC) form, so a
query only touches the columns of its own terms. Edits do not refit anything: an upserted
activity is vectorised with the fitted vocabulary and IDF weights into a small overlay that
replaces its row's text scores, and the overlay is folded into the main matrix once it grows.

A word the fitted model has never seen ("beekeeping" added to a garden's listing) gets a new
column straight away, weighted as a word found in one listing, so a coordinator's edit can be
found by its new words in the very next match. The weights of all words are brought up to date
by `rebuild()`, which refits the model (nightly, say).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

import numpy as np
import scipy.sparse as sp

from directory.categories import CATEGORIES, TIMES_OF_DAY, time_of_day
from directory.records import FEATURES, ActivityRecord
from matching.geo import unit_vector
from matching.text import sense_spans, tokens

FEATURE_NAMES: tuple[str, ...] = tuple(FEATURES)
CATEGORY_SLUGS: tuple[str, ...] = tuple(CATEGORIES)
TIME_NAMES: tuple[str, ...] = tuple(TIMES_OF_DAY)
SLOTS = 7 * len(TIME_NAMES)
WINDOW = timedelta(days=28)
#: Title and tags say what an activity is; repeating them makes them count for more.
TITLE_REPEAT = 3
TAG_REPEAT = 3

_GENDER = {"women": 1, "men": 2}


_PART_OF_HOUR = tuple(TIME_NAMES.index(time_of_day(hour)) for hour in range(24))


def slot(weekday: int, hour: int) -> int:
    """Bit position of a weekday (0 = Monday) and the part of the day an hour falls in."""
    return weekday * len(TIME_NAMES) + _PART_OF_HOUR[hour]


def document_tokens(record: ActivityRecord) -> list[str]:
    """What the text model reads for one activity, with title and tags weighted up, and each
    multi-word sense ("hearing voices") as one more term."""
    title, tags, description = tokens(record.title), tokens(" ".join(record.tags)), tokens(record.description)
    notes = tokens(record.newcomer_notes)
    senses = [term for part in (title, tags, description, notes) for _, _, term in sense_spans(part)]
    return (
        title * TITLE_REPEAT
        + tags * TAG_REPEAT
        + description
        + notes
        + tokens(record.organisation_name)
        + senses
    )


def timestamp(moment: datetime) -> float:
    """POSIX seconds, reading a naive datetime as UTC so that naive and aware values compare."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _slots_of(record: ActivityRecord) -> int:
    bits = 0
    for weekly in record.weekly:
        if 0 <= weekly.weekday <= 6:
            bits |= 1 << slot(weekly.weekday, weekly.start_time.hour)
    for session in record.sessions:
        bits |= 1 << slot(session.date.weekday(), session.start_time.hour)
    return bits


def meeting_times(record: ActivityRecord) -> list[tuple[int, int, int]]:
    """(weekday, start minute, end minute) of its weekly times and of its dated sessions (a
    monthly group on the 15th meets on different weekdays)."""
    found = {
        (w.weekday, w.start_time.hour * 60 + w.start_time.minute, w.end_time.hour * 60 + w.end_time.minute)
        for w in record.weekly
        if 0 <= w.weekday <= 6
    }
    found |= {
        (
            s.date.weekday(),
            s.start_time.hour * 60 + s.start_time.minute,
            s.end_time.hour * 60 + s.end_time.minute,
        )
        for s in record.sessions
    }
    return sorted((d, start, max(end, start)) for d, start, end in found)


def _days_of(slot_bits: int) -> int:
    per_day = (1 << len(TIME_NAMES)) - 1
    return sum(1 << d for d in range(7) if slot_bits >> (d * len(TIME_NAMES)) & per_day)


def _float(value: object) -> float:
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return f if math.isfinite(f) else math.nan


class ActivityIndex:
    """Rows of activity facts, a fitted text model and date-dependent availability."""

    #: Overlay rows folded into the main matrix once there are this many (or 5% of rows).
    OVERLAY_LIMIT = 512

    def __init__(self, records: Iterable[ActivityRecord], today: date) -> None:
        self.today = today
        self._build(list(records))

    # Building -----------------------------------------------------------------------------

    def _build(self, records: list[ActivityRecord]) -> None:
        unique: dict[str, ActivityRecord] = {}
        for record in records:
            unique[record.id] = record
        records = list(unique.values())
        self.records: list[ActivityRecord | None] = list(records)
        self.row_of: dict[str, int] = {r.id: i for i, r in enumerate(records)}
        self.org_codes: dict[str, int] = {}
        self.category_codes: dict[str, int] = {slug: i for i, slug in enumerate(CATEGORY_SLUGS)}
        self.n_rows = len(records)
        self._capacity = max(self.n_rows, 16)
        self._fit_text(records)
        self._allocate(self._capacity)
        for row, record in enumerate(records):
            self._fill_row(row, record)
        self._collect_sessions(records)
        self._collect_times(records)
        self.refresh_day(self.today, force=True)

    def _fit_text(self, records: list[ActivityRecord]) -> None:
        # Imported here, when the first index is built: importing scikit-learn takes about a
        # second, which every process (a command, a worker that never matches) would otherwise pay.
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer = TfidfVectorizer(analyzer=document_tokens, sublinear_tf=True, dtype=np.float32)
        if records:
            matrix = self.vectorizer.fit_transform(records)
            self.vocabulary: dict[str, int] = dict(self.vectorizer.vocabulary_)
            self.idf = self.vectorizer.idf_.astype(np.float64)
        else:
            matrix = sp.csr_matrix((0, 0), dtype=np.float32)
            self.vocabulary, self.idf = {}, np.zeros(0)
        self._csc = sp.csc_matrix(matrix, dtype=np.float32)
        self._csc.sort_indices()
        self._overlay: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._overlay_flat: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    def _allocate(self, capacity: int) -> None:
        #: Where each activity is, as a unit vector (see matching.geo.miles_from).
        self.unit_x = np.full(capacity, np.nan)
        self.unit_y = np.full(capacity, np.nan)
        self.unit_z = np.full(capacity, np.nan)
        self.features = np.zeros((len(FEATURE_NAMES), capacity), dtype=bool)
        self.categories = np.zeros((len(CATEGORY_SLUGS), capacity), dtype=bool)
        self.primary_category = np.full(capacity, -1, dtype=np.int32)
        self.organisation = np.full(capacity, -1, dtype=np.int32)
        self.slot_bits = np.zeros(capacity, dtype=np.int64)
        self.day_bits = np.zeros(capacity, dtype=np.int64)
        self.confirmed = np.zeros(capacity)
        self.peer_led = np.zeros(capacity, dtype=bool)
        self.continuation = np.zeros(capacity, dtype=bool)
        self.volunteering = np.zeros(capacity, dtype=bool)
        self.gender = np.zeros(capacity, dtype=np.int8)
        self.age_min = np.full(capacity, np.nan)
        self.age_max = np.full(capacity, np.nan)
        self.alive = np.zeros(capacity, dtype=bool)
        self.in_overlay = np.zeros(capacity, dtype=bool)
        self.sessions_changed = np.zeros(capacity, dtype=bool)
        self.places = np.zeros((SLOTS, capacity), dtype=np.int32)
        self.listed = np.zeros((SLOTS, capacity), dtype=np.int32)
        self.places_total = np.zeros(capacity, dtype=np.int32)
        self.listed_total = np.zeros(capacity, dtype=np.int32)

    _ROW_ARRAYS = (
        "unit_x", "unit_y", "unit_z", "features", "categories", "primary_category", "organisation",
        "slot_bits", "day_bits", "confirmed", "peer_led", "continuation", "volunteering", "gender",
        "age_min", "age_max", "alive", "in_overlay", "sessions_changed", "places", "listed",
        "places_total", "listed_total",
    )  # fmt: skip

    def _grow(self, needed: int) -> None:
        capacity = max(needed, int(self._capacity * 1.5) + 16)
        for name in self._ROW_ARRAYS:
            old = getattr(self, name)
            shape = (*old.shape[:-1], capacity)
            fill = (
                np.nan
                if old.dtype.kind == "f"
                else (-1 if name in ("primary_category", "organisation") else 0)
            )
            new = np.full(shape, fill, dtype=old.dtype)
            new[..., : old.shape[-1]] = old
            setattr(self, name, new)
        self._capacity = capacity

    def _fill_row(self, row: int, record: ActivityRecord) -> None:
        lat, lon = _float(record.latitude), _float(record.longitude)
        if abs(lat) <= 90 and abs(lon) <= 180:
            self.unit_x[row], self.unit_y[row], self.unit_z[row] = unit_vector(lat, lon)
        else:
            self.unit_x[row] = self.unit_y[row] = self.unit_z[row] = np.nan
        for i, name in enumerate(FEATURE_NAMES):
            self.features[i, row] = bool(getattr(record, name, False))
        self.categories[:, row] = False
        for slug in record.categories:
            i = self.category_codes.setdefault(slug, len(self.category_codes))
            if i < len(CATEGORY_SLUGS):
                self.categories[i, row] = True
        self.primary_category[row] = self.category_codes[record.categories[0]] if record.categories else -1
        self.organisation[row] = self.org_codes.setdefault(record.organisation_id, len(self.org_codes))
        bits = _slots_of(record)
        self.slot_bits[row], self.day_bits[row] = bits, _days_of(bits)
        self.confirmed[row] = timestamp(record.confirmed_at)
        self.peer_led[row] = record.peer_led
        self.continuation[row] = bool(record.continuation)
        self.volunteering[row] = bool(record.volunteering)
        self.gender[row] = _GENDER.get(record.gender, 0)
        self.age_min[row], self.age_max[row] = _float(record.age_min), _float(record.age_max)
        self.alive[row] = True

    def _collect_sessions(self, records: Sequence[ActivityRecord]) -> None:
        rows: list[int] = []
        days: list[int] = []
        slots: list[int] = []
        left: list[int] = []
        for row, record in enumerate(records):
            for s in record.sessions:
                rows.append(row)
                days.append(s.date.toordinal())
                slots.append(slot(s.date.weekday(), s.start_time.hour))
                left.append(s.places_left)
        self._s_row = np.array(rows, dtype=np.int64)
        self._s_day = np.array(days, dtype=np.int64)
        self._s_slot = np.array(slots, dtype=np.int64)
        self._s_left = np.array(left, dtype=np.float64)
        self.sessions_changed[:] = False

    def _collect_times(self, records: Sequence[ActivityRecord]) -> None:
        """Every meeting time as flat arrays sorted by weekday, so a window on one day only
        looks at that day's times."""
        rows: list[int] = []
        days: list[int] = []
        starts: list[int] = []
        ends: list[int] = []
        for row, record in enumerate(records):
            for day, start, end in meeting_times(record):
                rows.append(row)
                days.append(day)
                starts.append(start)
                ends.append(end)
        order = np.argsort(np.array(days, dtype=np.int64), kind="stable")
        self._t_row = np.array(rows, dtype=np.int64)[order]
        day_array = np.array(days, dtype=np.int64)[order]
        self._t_start = np.array(starts, dtype=np.int32)[order]
        self._t_end = np.array(ends, dtype=np.int32)[order]
        self._t_day_start = np.searchsorted(day_array, np.arange(8))
        #: Rows whose times changed since the arrays were built: their times are in _t_changed.
        self._t_changed: dict[int, list[tuple[int, int, int]]] = {}

    def fits_windows(self, windows: Sequence[tuple[int, int, int]]) -> np.ndarray:
        """Per row: True if one of its meeting times lies wholly inside one of the windows."""
        n = self.n_rows
        fit = np.zeros(n, dtype=bool)
        for day, start, end in windows:
            lo, hi = self._t_day_start[day], self._t_day_start[day + 1]
            inside = (self._t_start[lo:hi] >= start) & (self._t_end[lo:hi] <= end)
            fit[self._t_row[lo:hi][inside]] = True
        for row, times in self._t_changed.items():
            fit[row] = any(td == d and s <= ts and te <= e for td, ts, te in times for d, s, e in windows)
        return fit

    def lists_times(self) -> np.ndarray:
        """Per row: True if it lists any meeting time at all."""
        listed = np.zeros(self.n_rows, dtype=bool)
        listed[self._t_row[self._t_row < self.n_rows]] = True
        for row, times in self._t_changed.items():
            listed[row] = bool(times)
        return listed

    # Dates --------------------------------------------------------------------------------

    def refresh_day(self, today: date, *, force: bool = False) -> None:
        """Recount places free per weekly slot for the four weeks from `today`."""
        if today == self.today and not force:
            return
        self.today = today
        cap = self._capacity
        lo = today.toordinal()
        hi = lo + WINDOW.days
        keep = (self._s_day >= lo) & (self._s_day < hi)
        if self._s_row.size:
            keep &= ~self.sessions_changed[self._s_row]
        key = self._s_slot[keep] * cap + self._s_row[keep]
        self.places = np.bincount(key, weights=self._s_left[keep], minlength=SLOTS * cap)
        self.places = self.places.reshape(SLOTS, cap).astype(np.int32)
        self.listed = np.bincount(key, minlength=SLOTS * cap).reshape(SLOTS, cap).astype(np.int32)
        for row in np.flatnonzero(self.sessions_changed[: self.n_rows]):
            record = self.records[row]
            if record is not None:
                self._count_row_sessions(row, record)
        self.places_total = self.places.sum(axis=0, dtype=np.int32)
        self.listed_total = self.listed.sum(axis=0, dtype=np.int32)

    def _count_row_sessions(self, row: int, record: ActivityRecord) -> None:
        self.places[:, row] = 0
        self.listed[:, row] = 0
        end = self.today + WINDOW
        for s in record.sessions:
            if self.today <= s.date < end:
                k = slot(s.date.weekday(), s.start_time.hour)
                self.places[k, row] += s.places_left
                self.listed[k, row] += 1
        self.places_total[row] = self.places[:, row].sum()
        self.listed_total[row] = self.listed[:, row].sum()

    # Text ---------------------------------------------------------------------------------

    def vector(self, record: ActivityRecord) -> tuple[np.ndarray, np.ndarray]:
        """The record's TF-IDF row (columns, values) under the fitted model, as sklearn makes it."""
        counts = Counter(t for t in document_tokens(record) if t in self.vocabulary)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        cols = np.fromiter((self.vocabulary[t] for t in counts), dtype=np.int64, count=len(counts))
        values = (np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts))) + 1.0) * self.idf[
            cols
        ]
        values /= np.sqrt(np.dot(values, values))
        order = np.argsort(cols)
        return cols[order], values[order].astype(np.float32)

    def row_vector(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        if self.in_overlay[row]:
            return self._overlay[row]
        record = self.records[row]
        return self.vector(record) if record is not None else (np.zeros(0, np.int64), np.zeros(0, np.float32))

    def text_scores(self, cols: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Dot product of every row with a sparse query (columns, weights): rows are unit length."""
        csc = self._csc
        if cols.size and cols.max() >= csc.shape[1]:
            # Words learnt since the matrix was packed live only in overlay rows.
            known = cols < csc.shape[1]
            return self._with_overlay(self._base_scores(cols[known], weights[known]), cols, weights)
        return self._with_overlay(self._base_scores(cols, weights), cols, weights)

    def _base_scores(self, cols: np.ndarray, weights: np.ndarray) -> np.ndarray:
        n = self.n_rows
        csc = self._csc
        scores: np.ndarray | None = None
        if cols.size:
            starts = csc.indptr[cols]
            lengths = csc.indptr[cols + 1] - starts
            total = int(lengths.sum())
            if total:
                shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
                positions = np.arange(total) + shift
                values = csc.data[positions] * np.repeat(weights, lengths)
                scores = np.bincount(csc.indices[positions], weights=values, minlength=n)
        return np.zeros(n) if scores is None else scores

    def _with_overlay(self, scores: np.ndarray, cols: np.ndarray, weights: np.ndarray) -> np.ndarray:
        if self._overlay:
            ov_pos, ov_cols, ov_data, ov_rows = self._flat_overlay()
            dense = np.zeros(len(self.vocabulary))
            dense[cols] = weights
            scores[ov_rows] = np.bincount(ov_pos, weights=dense[ov_cols] * ov_data, minlength=ov_rows.size)
        return scores

    def _flat_overlay(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if self._overlay_flat is None:
            rows = np.fromiter(self._overlay, dtype=np.int64, count=len(self._overlay))
            parts = [self._overlay[int(r)] for r in rows]
            lengths = np.array([c.size for c, _ in parts], dtype=np.int64)
            pos = np.repeat(np.arange(rows.size), lengths)
            cols = np.concatenate([c for c, _ in parts]) if parts else np.zeros(0, np.int64)
            data = np.concatenate([d for _, d in parts]).astype(np.float64) if parts else np.zeros(0)
            self._overlay_flat = (pos, cols, data, rows)
        return self._overlay_flat

    def _compact(self) -> None:
        """Fold overlay rows into the main matrix and drop removed rows' entries."""
        coo = self._csc.tocoo()
        keep = self.alive[coo.row] & ~self.in_overlay[coo.row]
        rows, cols, data = [coo.row[keep]], [coo.col[keep]], [coo.data[keep]]
        for row, (c, d) in self._overlay.items():
            if self.alive[row]:
                rows.append(np.full(c.size, row, dtype=coo.row.dtype))
                cols.append(c.astype(coo.col.dtype))
                data.append(d)
        shape = (self.n_rows, len(self.vocabulary))
        self._csc = sp.csc_matrix(
            (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
            shape=shape,
            dtype=np.float32,
        )
        self._csc.sort_indices()
        self._overlay = {}
        self._overlay_flat = None
        self.in_overlay[:] = False

    # Edits --------------------------------------------------------------------------------

    def upsert(self, record: ActivityRecord) -> int:
        row = self.row_of.get(record.id)
        if row is None:
            row = self.n_rows
            if row >= self._capacity:
                self._grow(row + 1)
            self.n_rows += 1
            self.records.append(record)
            self.row_of[record.id] = row
        else:
            self.records[row] = record
        self._fill_row(row, record)
        self._learn_words(record)
        self._overlay[row] = self.vector(record)
        self._overlay_flat = None
        self.in_overlay[row] = True
        self.sessions_changed[row] = True
        self._t_changed[row] = meeting_times(record)
        self._count_row_sessions(row, record)
        if len(self._overlay) > max(self.OVERLAY_LIMIT, self.n_rows // 20):
            self._compact()
        return row

    def _learn_words(self, record: ActivityRecord) -> list[str]:
        """Give words new since the fit a column, weighted as if one listing used them."""
        new = [t for t in dict.fromkeys(document_tokens(record)) if t not in self.vocabulary]
        if new:
            # sklearn's smoothed IDF for a term in one of n documents.
            idf = math.log((1 + len(self.row_of)) / 2) + 1.0
            for term in new:
                self.vocabulary[term] = len(self.vocabulary)
            self.idf = np.concatenate([self.idf, np.full(len(new), idf)])
        return new

    def remove(self, activity_id: str) -> bool:
        row = self.row_of.pop(activity_id, None)
        if row is None:
            return False
        self.alive[row] = False
        self.records[row] = None
        self._t_changed[row] = []
        if self._overlay.pop(row, None) is not None:
            self._overlay_flat = None
        self.in_overlay[row] = False
        return True

    def live_records(self) -> list[ActivityRecord]:
        return [r for r in self.records if r is not None]

    def rebuild(self) -> None:
        """Refit the text model on the live records (new words count from now on) and repack rows."""
        self._build(self.live_records())

    def nbytes(self) -> int:
        """Memory held by the arrays and the text matrix (not the records themselves)."""
        arrays = sum(getattr(self, name).nbytes for name in self._ROW_ARRAYS)
        text = self._csc.data.nbytes + self._csc.indices.nbytes + self._csc.indptr.nbytes + self.idf.nbytes
        sessions = self._s_row.nbytes + self._s_day.nbytes + self._s_slot.nbytes + self._s_left.nbytes
        sessions += self._t_row.nbytes + self._t_start.nbytes + self._t_end.nbytes
        return int(arrays + text + sessions)
