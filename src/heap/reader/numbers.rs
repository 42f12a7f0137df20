//! Parallel parsing of the big flat integer arrays (`nodes`, `edges`, `locations`).
//!
//! An array is cut into pieces right after commas, the commas of every piece are counted in
//! parallel (which gives each piece its first value index and the exact value count before
//! anything is allocated), the cuts are moved forward to row boundaries, and then each piece
//! parses its whole rows straight into disjoint slices of the columns.

#![deny(missing_docs)]

use crate::heap::reader::json::describe;
use crate::heap::reader::{ByteCount, SnapshotError};
use rayon::prelude::*;

/// Pieces smaller than this are not worth a task of their own. Tiny when fuzzing, so that
/// small inputs go through the cutting and aligning of pieces too.
const MIN_PIECE_BYTES: usize = if cfg!(fuzzing) { 16 } else { 1 << 20 };
/// Pieces per worker thread, so a slow piece does not leave the other threads idle.
const PIECES_PER_THREAD: usize = 4;

/// Where an array's brackets are in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    /// Offset of `[`.
    pub open: usize,
    /// Offset of the matching `]`.
    pub close: usize,
}

impl Span {
    fn content(self) -> (usize, usize) {
        (self.open + 1, self.close)
    }
}

/// A run of whole rows: bytes `start..end` hold rows `first_row..first_row + rows`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Piece {
    pub start: usize,
    pub end: usize,
    pub first_row: usize,
    pub rows: usize,
}

/// An array cut into row-aligned pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Number of values in the array.
    pub values: u64,
    pub pieces: Vec<Piece>,
}

impl Plan {
    /// Row counts of the pieces, for [`split_rows`].
    pub fn row_counts(&self) -> Vec<usize> {
        self.pieces.iter().map(|p| p.rows).collect()
    }
}

#[inline]
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Counts the values of the array and cuts it into pieces of whole rows of `stride` values.
/// When the value count is not a multiple of `stride` the pieces are empty (the caller
/// reports the error from `values`).
pub(crate) fn plan(bytes: &[u8], span: Span, stride: usize) -> Plan {
    let (start, end) = span.content();
    let content = &bytes[start..end];
    if content.iter().all(|&b| is_ws(b)) {
        return Plan {
            values: 0,
            pieces: Vec::new(),
        };
    }
    let cuts = comma_cuts(bytes, start, end);
    let commas: Vec<u64> = cuts
        .par_windows(2)
        .map(|w| bytecount(&bytes[w[0]..w[1]]))
        .collect();
    let values = commas.iter().sum::<u64>() + 1;
    if stride == 0 || !values.is_multiple_of(stride as u64) {
        return Plan {
            values,
            pieces: Vec::new(),
        };
    }
    let pieces = align_pieces(bytes, &cuts, &commas, values, stride, end);
    Plan { values, pieces }
}

/// Commas in `piece`. Written as byte-sized sums over 240-byte blocks so that the compiler
/// vectorizes it (about 8 GB/s; a plain `filter().count()` runs at 1.5).
fn bytecount(piece: &[u8]) -> u64 {
    piece
        .chunks(240)
        .map(|block| {
            let commas = block
                .iter()
                .fold(0u8, |n, &b| n.wrapping_add(u8::from(b == b',')));
            u64::from(commas)
        })
        .sum()
}

/// Cut points `start = c0 <= c1 <= ... <= ck = end`, each inner one just after a comma.
fn comma_cuts(bytes: &[u8], start: usize, end: usize) -> Vec<usize> {
    let len = end - start;
    let threads = rayon::current_num_threads().max(1);
    let count = (len / MIN_PIECE_BYTES).clamp(1, threads * PIECES_PER_THREAD);
    let mut cuts = vec![start];
    for k in 1..count {
        let guess = (start + len * k / count).max(*cuts.last().unwrap_or(&start));
        let cut = memchr::memchr(b',', &bytes[guess..end]).map_or(end, |i| guess + i + 1);
        cuts.push(cut);
    }
    cuts.push(end);
    cuts
}

/// Moves each inner cut forward to the next row boundary and turns the cuts into pieces.
fn align_pieces(
    bytes: &[u8],
    cuts: &[usize],
    commas: &[u64],
    values: u64,
    stride: usize,
    end: usize,
) -> Vec<Piece> {
    let stride64 = stride as u64;
    // (byte offset, index of the value starting there) of each aligned cut.
    let mut aligned: Vec<(usize, u64)> = vec![(cuts[0], 0)];
    let mut first_value = 0u64;
    for (k, &cut) in cuts.iter().enumerate().skip(1) {
        first_value += commas[k - 1];
        let (mut pos, mut value) = (cut, first_value);
        if k == cuts.len() - 1 || pos >= end {
            (pos, value) = (end, values);
        } else {
            for _ in 0..(stride64 - value % stride64) % stride64 {
                match memchr::memchr(b',', &bytes[pos..end]) {
                    Some(i) => {
                        pos += i + 1;
                        value += 1;
                    }
                    None => {
                        (pos, value) = (end, values);
                        break;
                    }
                }
            }
        }
        let last = *aligned.last().unwrap_or(&(0, 0));
        aligned.push(if pos < last.0 { last } else { (pos, value) });
    }
    aligned
        .windows(2)
        .map(|w| Piece {
            start: w[0].0,
            end: w[1].0,
            first_row: (w[0].1 / stride64) as usize,
            rows: ((w[1].1 - w[0].1) / stride64) as usize,
        })
        .collect()
}

/// Whether `b` can be part of a number array's contents.
#[inline(always)]
pub(crate) fn is_number_byte(b: u8) -> bool {
    // `|`, not `||`: no branches, so that the block test below is vectorized.
    (b.wrapping_sub(b'0') < 10)
        | (b == b',')
        | (b == b'\n')
        | (b == b' ')
        | (b == b'\r')
        | (b == b'\t')
}

/// The first byte of `hay` that cannot be part of a number array (its `]`, or garbage), looked
/// for in consecutive pairs of blocks by two threads: a number array is hundreds of megabytes.
pub(crate) fn first_non_number(hay: &[u8]) -> Option<usize> {
    const BLOCK: usize = 4 << 20;
    let mut start = 0;
    while start < hay.len() {
        let mid = (start + BLOCK).min(hay.len());
        let end = (mid + BLOCK).min(hay.len());
        let (a, b) = rayon::join(
            || first_non_number_in(&hay[start..mid]),
            || first_non_number_in(&hay[mid..end]),
        );
        if let Some(k) = a {
            return Some(start + k);
        }
        if let Some(k) = b {
            return Some(mid + k);
        }
        start = end;
    }
    None
}

/// [`first_non_number`] on one thread: 64 bytes at a time, then the byte in the first block
/// that has one.
pub(crate) fn first_non_number_in(block: &[u8]) -> Option<usize> {
    const LANES: usize = 64;
    let mut words = block.chunks_exact(LANES);
    let mut base = 0;
    for word in words.by_ref() {
        let odd = word
            .iter()
            .fold(0u8, |acc, &b| acc | u8::from(!is_number_byte(b)));
        if odd != 0 {
            return word
                .iter()
                .position(|&b| !is_number_byte(b))
                .map(|k| base + k);
        }
        base += LANES;
    }
    words
        .remainder()
        .iter()
        .position(|&b| !is_number_byte(b))
        .map(|k| base + k)
}

/// The error for byte `b`, at `offset` in number array `name`, that is neither part of a
/// number nor its closing bracket.
#[cold]
pub(crate) fn not_a_number_byte(offset: u64, name: &str, b: u8) -> SnapshotError {
    SnapshotError::Syntax {
        offset,
        message: format!(
            "expected a non-negative integer, ',' or ']' in \"{name}\", found {}",
            describe(b)
        ),
    }
}

/// Splits a column into consecutive slices of `counts` rows each.
pub(crate) fn split_rows<'a, T>(mut slice: &'a mut [T], counts: &[usize]) -> Vec<&'a mut [T]> {
    let mut out = Vec::with_capacity(counts.len());
    for &n in counts {
        let (head, tail) = slice.split_at_mut(n);
        out.push(head);
        slice = tail;
    }
    out
}

/// Why a row could not be read; turned into a [`SnapshotError`] by the caller, which knows
/// the field names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ValueError {
    /// Something other than the expected token at byte `at`.
    Expected { at: usize, what: &'static str },
    /// Field `field` of the row, starting at byte `at`, exceeds u64.
    TooLarge { at: usize, field: usize },
}

impl ValueError {
    /// The error for the user; `field_name` names field `i` of a row.
    pub fn into_snapshot_error(
        self,
        bytes: &[u8],
        field_name: impl Fn(usize) -> String,
    ) -> SnapshotError {
        match self {
            ValueError::Expected { at, what } => {
                let found = bytes
                    .get(at)
                    .map_or_else(|| "the end".to_owned(), |&b| describe(b));
                SnapshotError::Syntax {
                    offset: at as u64,
                    message: format!("expected {what} in a number array, found {found}"),
                }
            }
            ValueError::TooLarge { at, field } => SnapshotError::NumberTooLarge {
                offset: at as u64,
                field: field_name(field),
                limit: u64::MAX,
            },
        }
    }
}

/// Reads one row of `out.len()` values, each followed by a comma unless the piece ends there;
/// `*pos` moves past it.
#[inline]
pub(crate) fn read_row(
    bytes: &[u8],
    pos: &mut usize,
    end: usize,
    out: &mut [u64],
) -> Result<(), ValueError> {
    for (field, slot) in out.iter_mut().enumerate() {
        *slot = read_value(bytes, pos, end, field)?;
    }
    Ok(())
}

/// [`read_row`] for a row length known at compile time (unrolled: about 20 % faster on the
/// 3-field edges and 6- or 7-field nodes every V8 writes).
#[inline(always)]
pub(crate) fn read_fixed<const N: usize>(
    bytes: &[u8],
    pos: &mut usize,
    end: usize,
) -> Result<[u64; N], ValueError> {
    let mut out = [0u64; N];
    for (field, slot) in out.iter_mut().enumerate() {
        *slot = read_value(bytes, pos, end, field)?;
    }
    Ok(out)
}

/// Reads one row of `N` values (each of at most 8 digits followed by `,` or V8's row end
/// `"\n,"`, the shape of every row V8 writes) starting at `pos`; returns them and the offset
/// after the row, or `None` when anything else is there (the caller then takes the general
/// path, which also finds the error). One bounds check for the whole row instead of several
/// per value.
#[inline(always)]
pub(crate) fn read_fast<const N: usize>(
    bytes: &[u8],
    pos: usize,
    end: usize,
) -> Option<([u64; N], usize)> {
    // A value read here starts at most 10 bytes after the previous one (8 digits and 2
    // separator bytes) and reads at most 10 bytes from its start, so every read below stays
    // before `pos + 10 * N`.
    if pos.checked_add(10 * N)? > bytes.len() {
        return None;
    }
    let p = bytes.as_ptr();
    let mut i = pos;
    let mut out = [0u64; N];
    for slot in out.iter_mut() {
        // SAFETY: `i + 8 <= pos + 10 * N <= bytes.len()` (see above).
        let word = unsafe { p.add(i).cast::<u64>().read_unaligned() };
        let x = u64::from_le(word) ^ 0x3030_3030_3030_3030;
        // One digit and a comma (edge and node types, the trace and detachedness fields, small
        // counts): about a fifth faster overall than the general decoding below.
        if x & 0xFF00 == u64::from(b',' ^ b'0') << 8 && x & 0xFF < 10 {
            *slot = x & 0xFF;
            i += 2;
            continue;
        }
        let flagged = (x.wrapping_add(0x7676_7676_7676_7676) | x) & 0x8080_8080_8080_8080;
        let len = (flagged.trailing_zeros() / 8) as usize;
        // No digits, or a leading zero (invalid JSON): the general path reports it.
        if len == 0 || (len > 1 && x & 0xFF == 0) {
            return None;
        }
        // SAFETY: `i + len + 1 <= i + 9 < pos + 10 * N` (see above).
        let (sep, next) = unsafe { (*p.add(i + len), *p.add(i + len + 1)) };
        i = if sep == b',' {
            i + len + 1
        } else if sep == b'\n' && next == b',' {
            i + len + 2
        } else {
            return None;
        };
        *slot = swar_digits(x, len);
    }
    (i <= end).then_some((out, i))
}

/// Reads one value and its separator.
///
/// The common case (1 to 8 digits and a comma, or V8's row end "\n,") is decoded eight bytes
/// at a time; anything else takes the general path.
#[inline(always)]
fn read_value(bytes: &[u8], pos: &mut usize, end: usize, field: usize) -> Result<u64, ValueError> {
    let i = *pos;
    // 16 bytes of slack keep the separator reads below in bounds.
    if i + 16 <= bytes.len() {
        let word = u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap_or_default());
        let x = word ^ 0x3030_3030_3030_3030;
        // Same digit test as `digit_run`: the first flagged byte ends the digits; 8 when all
        // eight bytes are digits (node offsets and ids of big heaps).
        let flagged = (x.wrapping_add(0x7676_7676_7676_7676) | x) & 0x8080_8080_8080_8080;
        let len = (flagged.trailing_zeros() / 8) as usize;
        // A leading zero (invalid JSON) takes the general path, which rejects it.
        if len == 1 || (len > 1 && x & 0xFF != 0) {
            let after = match bytes[i + len] {
                b',' => i + len + 1,
                b'\n' if bytes[i + len + 1] == b',' => i + len + 2,
                _ => usize::MAX,
            };
            if after <= end {
                *pos = after;
                return Ok(swar_digits(x, len));
            }
        }
    }
    slow_value(bytes, pos, end, field)
}

/// The value of the `len` (1..=8) decimal digits in the low bytes of `x` (already minus
/// `'0'`, first digit lowest), by Lemire's eight-digits-at-once multiply.
#[inline]
fn swar_digits(x: u64, len: usize) -> u64 {
    // Move the digits to the top bytes: the bytes below become leading zeros.
    let v = if len == 8 { x } else { x << (8 * (8 - len)) };
    let v = v.wrapping_mul(10).wrapping_add(v >> 8);
    let lo = (v & 0x0000_00FF_0000_00FF).wrapping_mul(100 + (1_000_000 << 32));
    let hi = ((v >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32));
    lo.wrapping_add(hi) >> 32
}

/// The general path: whitespace, digits of any length (checked), whitespace, comma.
#[cold]
fn slow_value(bytes: &[u8], pos: &mut usize, end: usize, field: usize) -> Result<u64, ValueError> {
    let mut i = *pos;
    while i < end && is_ws(bytes[i]) {
        i += 1;
    }
    let start = i;
    let mut value = 0u64;
    while i < end && bytes[i].is_ascii_digit() {
        let digit = u64::from(bytes[i] - b'0');
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(digit))
            .ok_or(ValueError::TooLarge { at: start, field })?;
        i += 1;
        if value == 0 {
            // JSON numbers have no leading zeros: a digit after one is not a separator.
            break;
        }
    }
    if i == start {
        return Err(ValueError::Expected {
            at: i,
            what: "a non-negative integer",
        });
    }
    while i < end && is_ws(bytes[i]) {
        i += 1;
    }
    if i < end {
        if bytes[i] != b',' {
            return Err(ValueError::Expected { at: i, what: "','" });
        }
        i += 1;
    }
    *pos = i;
    Ok(value)
}

/// Division by a divisor known only at run time (the node field count), as a multiply by
/// its reciprocal: a 64-bit `div` costs tens of cycles and every edge needs one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Divider {
    d: u64,
    /// ceil(2^64 / d); exact for dividends below 2^64 / d.
    m: u64,
}

impl Divider {
    /// A divider by `d` (at least 1).
    pub fn new(d: u64) -> Self {
        let d = d.max(1);
        Divider {
            d,
            m: (u64::MAX / d).wrapping_add(1),
        }
    }

    /// Quotient and remainder of `n`, which must be below 2^32 * d (callers check `n` against
    /// a bound of that size first).
    #[inline]
    pub fn div_rem(self, n: u64) -> (u64, u64) {
        if self.d == 1 {
            return (n, 0);
        }
        let q = ((u128::from(n) * u128::from(self.m)) >> 64) as u64;
        (q, n - q * self.d)
    }
}

/// Byte offset of value `field` of the row starting at `row_start` (for error messages).
#[cold]
pub(crate) fn value_offset(bytes: &[u8], row_start: usize, field: usize) -> u64 {
    let mut i = row_start;
    for _ in 0..field {
        i += memchr::memchr(b',', &bytes[i..]).map_or(0, |k| k + 1);
    }
    while i < bytes.len() && is_ws(bytes[i]) {
        i += 1;
    }
    i as u64
}

/// Runs `parse` on every piece in parallel, adding each piece's bytes to `count` once parsed,
/// and returns the error that comes first in the file.
pub(crate) fn run_pieces<S: Send, R: Send>(
    work: Vec<(Piece, S)>,
    count: &ByteCount,
    parse: impl Fn(Piece, S) -> Result<R, SnapshotError> + Sync + Send,
) -> Result<Vec<R>, SnapshotError> {
    // Results keep piece order, so the first error is the earliest in the file.
    work.into_par_iter()
        .map(|(piece, sink)| {
            let parsed = parse(piece, sink);
            count.range_done(piece.start, piece.end);
            parsed
        })
        .collect::<Vec<_>>()
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span_of(text: &[u8]) -> Span {
        Span {
            open: text.iter().position(|&b| b == b'[').unwrap(),
            close: text.iter().rposition(|&b| b == b']').unwrap(),
        }
    }

    #[test]
    fn plan_counts_and_aligns() {
        let text = b"[1,2,3\n,4,5,6\n,7,8,9]";
        let plan = plan(text, span_of(text), 3);
        assert_eq!(plan.values, 9);
        assert_eq!(plan.pieces.iter().map(|p| p.rows).sum::<usize>(), 3);
        assert_eq!(plan.pieces[0].first_row, 0);
    }

    #[test]
    fn empty_and_ragged_arrays() {
        let text = b"[ \n ]";
        assert_eq!(plan(text, span_of(text), 3).values, 0);
        let text = b"[1,2]";
        let p = plan(text, span_of(text), 3);
        assert_eq!(p.values, 2);
        assert!(p.pieces.is_empty());
    }

    #[test]
    fn align_moves_cuts_to_rows() {
        // Cuts after the 1st, 2nd and 4th commas must land on row starts (stride 2).
        let text = b"[1,2,3,4,5,6,7,8]";
        let cuts = vec![1, 3, 5, 9, 16];
        let commas: Vec<u64> = cuts
            .windows(2)
            .map(|w| bytecount(&text[w[0]..w[1]]))
            .collect();
        let pieces = align_pieces(text, &cuts, &commas, 8, 2, 16);
        let rows: usize = pieces.iter().map(|p| p.rows).sum();
        assert_eq!(rows, 4);
        for p in &pieces {
            let mut pos = p.start;
            let mut row = [0u64; 2];
            for _ in 0..p.rows {
                read_row(text, &mut pos, p.end, &mut row).unwrap();
            }
            assert_eq!(pos, p.end);
        }
    }

    fn read_all(text: &[u8], stride: usize) -> Result<Vec<u64>, ValueError> {
        let span = span_of(text);
        let mut pos = span.open + 1;
        let mut out = vec![0u64; stride];
        let mut all = Vec::new();
        while pos < span.close {
            read_row(text, &mut pos, span.close, &mut out)?;
            all.extend_from_slice(&out);
        }
        Ok(all)
    }

    #[test]
    fn rows_fast_and_slow_paths() {
        let text = b"[0,1,22,333,4444,55555,666666,7777777,88888888,999999999\n,18446744073709551615 , 5\n]   ";
        let values = read_all(text, 12).unwrap();
        assert_eq!(
            values,
            [
                0,
                1,
                22,
                333,
                4444,
                55555,
                666666,
                7777777,
                88888888,
                999999999,
                u64::MAX,
                5
            ]
        );
        for n in 0..2000u64 {
            let text = format!("[{n},{},7]", n * 1_000_003);
            assert_eq!(read_all(text.as_bytes(), 3).unwrap(), [n, n * 1_000_003, 7]);
        }
    }

    #[test]
    fn fast_rows_agree_with_the_general_path() {
        let text = b"[0,1,22\n,333,4444,55555\n,666666,7777777,88888888\n,999999999,1,2\n,3 ,4,5\n,6,7,8]                              ";
        let span = span_of(text);
        let mut pos = span.open + 1;
        let mut fast_rows = 0;
        let mut all = Vec::new();
        while pos < span.close {
            match read_fast::<3>(text, pos, span.close) {
                Some((row, next)) => {
                    fast_rows += 1;
                    all.extend_from_slice(&row);
                    pos = next;
                }
                None => {
                    let mut row = [0u64; 3];
                    read_row(text, &mut pos, span.close, &mut row).unwrap();
                    all.extend_from_slice(&row);
                }
            }
        }
        assert_eq!(
            fast_rows, 3,
            "9 digits, spaces and the last row take the general path"
        );
        assert_eq!(all, read_all(text, 3).unwrap());
        // Too close to the end of the input for the unchecked reads.
        assert_eq!(read_fast::<3>(b"1,2,3]", 0, 5), None);
        assert_eq!(
            read_fast::<1>(b"1,2,3]     ", 0, 1),
            None,
            "past the piece end"
        );
    }

    #[test]
    fn divider_is_exact() {
        for d in 1..=70u64 {
            let div = Divider::new(d);
            for n in (0..5000).chain([u64::from(u32::MAX) * d - 1, (1 << 37) + 12345]) {
                assert_eq!(div.div_rem(n), (n / d, n % d), "{n} / {d}");
            }
        }
    }

    #[test]
    fn row_errors() {
        assert_eq!(
            read_all(b"[1.5]", 1),
            Err(ValueError::Expected { at: 2, what: "','" })
        );
        assert_eq!(
            read_all(b"[1,99999999999999999999999]", 2),
            Err(ValueError::TooLarge { at: 3, field: 1 })
        );
        assert!(matches!(
            read_all(b"[,]", 1),
            Err(ValueError::Expected { at: 1, .. })
        ));
        assert!(matches!(
            read_all(b"[1,-2]", 2),
            Err(ValueError::Expected { at: 3, .. })
        ));
        assert_eq!(value_offset(b"[1, 22,\n 333]", 1, 2), 9);
        // A leading zero is not JSON, on the fast paths too.
        for text in [&b"[1,09,2]            "[..], b"[1,00\n,2]", b"[07,1]"] {
            let at = text.iter().position(|&b| b == b'0').unwrap() + 1;
            assert_eq!(
                read_all(text, 1),
                Err(ValueError::Expected { at, what: "','" })
            );
        }
        let padded = b"1,09,2,3,4,5,6,7,8,9,1,2,3,4,5,6,7,8";
        assert_eq!(read_fast::<2>(padded, 0, padded.len()), None);
        assert!(read_fast::<2>(padded, 5, padded.len()).is_some());
    }
}
