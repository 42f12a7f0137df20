//! Parallel parsing of the big flat integer arrays (`nodes`, `edges`, `locations`).
//!
//! An array is cut into pieces right after commas, the commas of every piece are counted in
//! parallel (which gives each piece its first value index and the exact value count before
//! anything is allocated), the cuts are moved forward to row boundaries, and then each piece
//! parses its whole rows straight into disjoint slices of the columns.

use super::stream::{describe, SnapshotError};
use rayon::prelude::*;

/// Pieces smaller than this are not worth a task of their own.
const MIN_PIECE_BYTES: usize = 1 << 20;
/// Pieces per worker thread, so a slow piece does not leave the other threads idle.
const PIECES_PER_THREAD: usize = 4;

/// Where an array's brackets are in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
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
pub(super) struct Piece {
    pub start: usize,
    pub end: usize,
    pub first_row: usize,
    pub rows: usize,
}

/// An array cut into row-aligned pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Plan {
    /// Number of values in the array.
    pub values: u64,
    pub pieces: Vec<Piece>,
}

impl Plan {
    /// Number of rows (call only once `values` is known to be a multiple of the stride).
    pub fn rows(&self) -> usize {
        self.pieces.iter().map(|p| p.rows).sum()
    }

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
pub(super) fn plan(bytes: &[u8], span: Span, stride: usize) -> Plan {
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

/// Commas in `piece` (a simple loop the compiler vectorizes).
fn bytecount(piece: &[u8]) -> u64 {
    piece.iter().filter(|&&b| b == b',').count() as u64
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

/// Splits a column into consecutive slices of `counts` rows each.
pub(super) fn split_rows<'a, T>(mut slice: &'a mut [T], counts: &[usize]) -> Vec<&'a mut [T]> {
    let mut out = Vec::with_capacity(counts.len());
    for &n in counts {
        let (head, tail) = slice.split_at_mut(n);
        out.push(head);
        slice = tail;
    }
    out
}

/// Reads the next value of a piece: optional whitespace, digits, optional whitespace, then a
/// comma unless the piece ends there. `*pos` moves past all of it.
#[inline]
pub(super) fn next_value(
    bytes: &[u8],
    pos: &mut usize,
    end: usize,
    field: &dyn Fn() -> String,
) -> Result<u64, SnapshotError> {
    let mut i = *pos;
    while i < end && is_ws(bytes[i]) {
        i += 1;
    }
    let start = i;
    let mut value = 0u64;
    while i < end {
        let digit = bytes[i].wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        value = match value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(digit)))
        {
            Some(v) => v,
            None => {
                return Err(SnapshotError::NumberTooLarge {
                    offset: start as u64,
                    field: field(),
                    limit: u64::MAX,
                })
            }
        };
        i += 1;
    }
    if i == start {
        return Err(expected(bytes, i, "a non-negative integer"));
    }
    while i < end && is_ws(bytes[i]) {
        i += 1;
    }
    if i < end {
        if bytes[i] != b',' {
            return Err(expected(bytes, i, "','"));
        }
        i += 1;
    }
    *pos = i;
    Ok(value)
}

fn expected(bytes: &[u8], at: usize, what: &str) -> SnapshotError {
    let found = bytes
        .get(at)
        .map_or_else(|| "the end".to_owned(), |&b| describe(b));
    SnapshotError::Syntax {
        offset: at as u64,
        message: format!("expected {what} in a number array, found {found}"),
    }
}

/// Runs `parse` on every piece in parallel and returns the error that comes first in the file.
pub(super) fn run_pieces<S: Send, R: Send>(
    work: Vec<(Piece, S)>,
    parse: impl Fn(Piece, S) -> Result<R, SnapshotError> + Sync + Send,
) -> Result<Vec<R>, SnapshotError> {
    // Results keep piece order, so the first error is the earliest in the file.
    work.into_par_iter()
        .map(|(piece, sink)| parse(piece, sink))
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
        assert_eq!(plan.rows(), 3);
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
            for _ in 0..p.rows * 2 {
                next_value(text, &mut pos, p.end, &String::new).unwrap();
            }
            assert_eq!(pos, p.end);
        }
    }

    #[test]
    fn next_value_errors() {
        let mut pos = 1;
        let text = b"[1.5]";
        assert!(matches!(
            next_value(text, &mut pos, 4, &String::new),
            Err(SnapshotError::Syntax { offset: 2, .. })
        ));
        let text = b"[99999999999999999999999]";
        let mut pos = 1;
        assert!(matches!(
            next_value(text, &mut pos, 24, &|| "x".into()),
            Err(SnapshotError::NumberTooLarge { offset: 1, .. })
        ));
        let text = b"[,]";
        let mut pos = 1;
        assert!(next_value(text, &mut pos, 2, &String::new).is_err());
    }
}
