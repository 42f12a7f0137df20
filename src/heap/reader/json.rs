//! JSON pieces every snapshot reader shares: the incremental string decoder ([`StrScan`]), the
//! validating value skipper ([`Skipper`]), the eight-at-a-time digit scan ([`digit_run`]).
//! All of them accept input split anywhere.

use super::error::{syntax, SnapshotError};

/// Nesting limit for skipped sections (`trace_tree` nests one level per call frame).
const MAX_DEPTH: usize = 100_000;

#[inline]
pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

// ---------------------------------------------------------------------------------------------
// JSON string bodies

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Esc {
    #[default]
    None,
    Backslash,
    /// Inside `\uXXXX`: digits seen so far and their value.
    Hex(u8, u16),
}

/// Incremental decoder of a JSON string body (after the opening quote). Validates escapes, raw
/// control characters and UTF-8; writes the decoded bytes only when given an output buffer.
#[derive(Debug, Default)]
pub(crate) struct StrScan {
    esc: Esc,
    /// A `\uD800`..`\uDBFF` waiting for its low half.
    high: Option<u16>,
    /// Continuation bytes still expected for a raw multi-byte UTF-8 character, and the allowed
    /// range of the next one.
    utf8_need: u8,
    utf8_lo: u8,
    utf8_hi: u8,
}

fn push_char(out: &mut Option<&mut Vec<u8>>, c: char) {
    if let Some(o) = out.as_deref_mut() {
        let mut tmp = [0u8; 4];
        o.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
    }
}

impl StrScan {
    /// A pending high surrogate not followed by a low one becomes U+FFFD.
    fn flush_high(&mut self, out: &mut Option<&mut Vec<u8>>) {
        if self.high.take().is_some() {
            push_char(out, char::REPLACEMENT_CHARACTER);
        }
    }

    fn unit(&mut self, u: u16, out: &mut Option<&mut Vec<u8>>) {
        if let Some(high) = self.high.take() {
            if (0xDC00..=0xDFFF).contains(&u) {
                let code = 0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(u) - 0xDC00);
                push_char(
                    out,
                    char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER),
                );
                return;
            }
            push_char(out, char::REPLACEMENT_CHARACTER);
        }
        match u {
            0xD800..=0xDBFF => self.high = Some(u),
            0xDC00..=0xDFFF => push_char(out, char::REPLACEMENT_CHARACTER),
            _ => push_char(
                out,
                char::from_u32(u32::from(u)).unwrap_or(char::REPLACEMENT_CHARACTER),
            ),
        }
    }

    /// Consumes string bytes; returns the bytes consumed and whether the closing quote was one
    /// of them (it is consumed).
    pub(crate) fn feed(
        &mut self,
        buf: &[u8],
        mut out: Option<&mut Vec<u8>>,
        base: u64,
    ) -> Result<(usize, bool), SnapshotError> {
        let mut i = 0;
        while i < buf.len() {
            let b = buf[i];
            match self.esc {
                Esc::None => {
                    if self.utf8_need > 0 {
                        if b < self.utf8_lo || b > self.utf8_hi {
                            return Err(syntax(base + i as u64, "invalid UTF-8 in a string"));
                        }
                        self.utf8_need -= 1;
                        self.utf8_lo = 0x80;
                        self.utf8_hi = 0xBF;
                        if let Some(o) = out.as_deref_mut() {
                            o.push(b);
                        }
                        i += 1;
                        continue;
                    }
                    let start = i;
                    while i < buf.len() {
                        let c = buf[i];
                        if c == b'"' || c == b'\\' || !(0x20..0x80).contains(&c) {
                            break;
                        }
                        i += 1;
                    }
                    if i > start {
                        self.flush_high(&mut out);
                        if let Some(o) = out.as_deref_mut() {
                            o.extend_from_slice(&buf[start..i]);
                        }
                    }
                    if i == buf.len() {
                        break;
                    }
                    let c = buf[i];
                    match c {
                        b'"' => {
                            self.flush_high(&mut out);
                            return Ok((i + 1, true));
                        }
                        b'\\' => self.esc = Esc::Backslash,
                        0..=0x1F => {
                            return Err(syntax(
                                base + i as u64,
                                format!("raw control character 0x{c:02x} in a string"),
                            ))
                        }
                        _ => {
                            let (need, lo, hi) = match c {
                                0xC2..=0xDF => (1, 0x80, 0xBF),
                                0xE0 => (2, 0xA0, 0xBF),
                                0xE1..=0xEC | 0xEE..=0xEF => (2, 0x80, 0xBF),
                                0xED => (2, 0x80, 0x9F),
                                0xF0 => (3, 0x90, 0xBF),
                                0xF1..=0xF3 => (3, 0x80, 0xBF),
                                0xF4 => (3, 0x80, 0x8F),
                                _ => {
                                    return Err(syntax(
                                        base + i as u64,
                                        "invalid UTF-8 in a string",
                                    ))
                                }
                            };
                            self.flush_high(&mut out);
                            self.utf8_need = need;
                            self.utf8_lo = lo;
                            self.utf8_hi = hi;
                            if let Some(o) = out.as_deref_mut() {
                                o.push(c);
                            }
                        }
                    }
                    i += 1;
                }
                Esc::Backslash => {
                    let decoded = match b {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 0x08,
                        b'f' => 0x0C,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            self.esc = Esc::Hex(0, 0);
                            i += 1;
                            continue;
                        }
                        _ => {
                            return Err(syntax(
                                base + i as u64,
                                format!("invalid escape \\{}", char::from(b).escape_default()),
                            ))
                        }
                    };
                    self.flush_high(&mut out);
                    if let Some(o) = out.as_deref_mut() {
                        o.push(decoded);
                    }
                    self.esc = Esc::None;
                    i += 1;
                }
                Esc::Hex(n, acc) => {
                    let digit = match b {
                        b'0'..=b'9' => b - b'0',
                        b'a'..=b'f' => b - b'a' + 10,
                        b'A'..=b'F' => b - b'A' + 10,
                        _ => {
                            return Err(syntax(
                                base + i as u64,
                                "invalid \\u escape: expected 4 hex digits",
                            ))
                        }
                    };
                    let acc = (acc << 4) | u16::from(digit);
                    if n == 3 {
                        self.esc = Esc::None;
                        self.unit(acc, &mut out);
                    } else {
                        self.esc = Esc::Hex(n + 1, acc);
                    }
                    i += 1;
                }
            }
        }
        Ok((i, false))
    }
}

// ---------------------------------------------------------------------------------------------
// Generic JSON value skipper (validating)

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Num {
    Minus,
    Zero,
    Int,
    Dot,
    Frac,
    Exp,
    ExpSign,
    ExpDigits,
}

enum NumStep {
    Take,
    End,
    Bad,
}

impl Num {
    fn step(&mut self, b: u8) -> NumStep {
        let digit = b.is_ascii_digit();
        let next = match (*self, b) {
            (Num::Minus, b'0') => Num::Zero,
            (Num::Minus, _) if digit => Num::Int,
            (Num::Minus, _) => return NumStep::Bad,
            (Num::Zero | Num::Int, b'.') => Num::Dot,
            (Num::Zero | Num::Int | Num::Frac, b'e' | b'E') => Num::Exp,
            (Num::Zero, _) if digit => return NumStep::Bad,
            (Num::Int, _) if digit => Num::Int,
            (Num::Dot | Num::Frac, _) if digit => Num::Frac,
            (Num::Dot, _) => return NumStep::Bad,
            (Num::Exp, b'+' | b'-') => Num::ExpSign,
            (Num::Exp | Num::ExpSign | Num::ExpDigits, _) if digit => Num::ExpDigits,
            (Num::Exp | Num::ExpSign, _) => return NumStep::Bad,
            (Num::Zero | Num::Int | Num::Frac | Num::ExpDigits, _) => return NumStep::End,
        };
        *self = next;
        NumStep::Take
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sk {
    Value,
    ValueOrClose,
    KeyOrClose,
    Key,
    InKey,
    Colon,
    InString,
    InNumber,
    InLiteral,
    After,
}

// Fast path for the bulk of a snapshot (`edges`, `locations`): runs of non-negative integers,
// commas and whitespace inside an array. Any other byte hands control back to the general
// skipper in the equivalent state.

/// End of the run of ASCII digits starting at `i`, eight bytes at a time.
#[inline]
pub(crate) fn digit_run(buf: &[u8], mut i: usize) -> usize {
    while let Some(word) = buf.get(i..i + 8) {
        let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        // Digits become 0..=9. A byte >= 10 gets its high bit set by the add (below 0x80) or
        // has it already; carries only move towards later bytes, after the first flagged one.
        let x = word ^ 0x3030_3030_3030_3030;
        let flagged = (x.wrapping_add(0x7676_7676_7676_7676) | x) & 0x8080_8080_8080_8080;
        if flagged != 0 {
            return i + (flagged.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < buf.len() && buf[i].is_ascii_digit() {
        i += 1;
    }
    i
}

/// Scans (and validates) one complete JSON value without keeping it.
#[derive(Debug)]
pub(crate) struct Skipper {
    /// Open containers, `true` for objects.
    stack: Vec<bool>,
    st: Sk,
    text: StrScan,
    num: Num,
    lit: &'static [u8],
    lit_pos: usize,
}

impl Skipper {
    pub(crate) fn new() -> Self {
        Skipper {
            stack: Vec::new(),
            st: Sk::Value,
            text: StrScan::default(),
            num: Num::Zero,
            lit: b"",
            lit_pos: 0,
        }
    }

    /// A value just ended: true if it was the outermost one.
    fn value_done(&mut self) -> bool {
        if self.stack.is_empty() {
            true
        } else {
            self.st = Sk::After;
            false
        }
    }

    fn open(&mut self, object: bool, offset: u64) -> Result<(), SnapshotError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(syntax(offset, format!("nesting deeper than {MAX_DEPTH}")));
        }
        self.stack.push(object);
        self.st = if object {
            Sk::KeyOrClose
        } else {
            Sk::ValueOrClose
        };
        Ok(())
    }

    /// Inside an array: consumes integers, commas and whitespace from `buf[i..]` while they keep
    /// the array valid; returns where the general path must continue (in the same state).
    fn fast_ints(&mut self, buf: &[u8], mut i: usize) -> usize {
        while i < buf.len() {
            match self.st {
                Sk::Value => match buf[i] {
                    b'1'..=b'9' => (self.st, self.num) = (Sk::InNumber, Num::Int),
                    b'0' => (self.st, self.num) = (Sk::InNumber, Num::Zero),
                    b' ' | b'\t' | b'\n' | b'\r' => {}
                    _ => break,
                },
                Sk::InNumber if matches!(self.num, Num::Int | Num::Zero) => {
                    if self.num == Num::Int {
                        i = digit_run(buf, i);
                        if i == buf.len() {
                            break;
                        }
                    }
                    // Fractions, exponents, `]` and errors go to the general path.
                    match buf[i] {
                        b',' => self.st = Sk::Value,
                        b' ' | b'\t' | b'\n' | b'\r' => self.st = Sk::After,
                        _ => break,
                    }
                }
                Sk::After => match buf[i] {
                    b',' => self.st = Sk::Value,
                    b' ' | b'\t' | b'\n' | b'\r' => {}
                    _ => break,
                },
                _ => break,
            }
            i += 1;
        }
        i
    }

    /// Consumes bytes of the value; returns the bytes consumed and whether the value ended. A
    /// byte that terminates a top-level number is not consumed.
    pub(crate) fn feed(&mut self, buf: &[u8], base: u64) -> Result<(usize, bool), SnapshotError> {
        let mut i = 0;
        while i < buf.len() {
            if self.stack.last() == Some(&false) {
                i = self.fast_ints(buf, i);
                if i == buf.len() {
                    break;
                }
            }
            let b = buf[i];
            let at = base + i as u64;
            match self.st {
                Sk::Value | Sk::ValueOrClose => {
                    i += 1;
                    match b {
                        b' ' | b'\t' | b'\n' | b'\r' => {}
                        b']' if self.st == Sk::ValueOrClose => {
                            self.stack.pop();
                            if self.value_done() {
                                return Ok((i, true));
                            }
                        }
                        b'{' => self.open(true, at)?,
                        b'[' => self.open(false, at)?,
                        b'"' => self.st = Sk::InString,
                        b'-' => {
                            self.num = Num::Minus;
                            self.st = Sk::InNumber;
                        }
                        b'0' => {
                            self.num = Num::Zero;
                            self.st = Sk::InNumber;
                        }
                        b'1'..=b'9' => {
                            self.num = Num::Int;
                            self.st = Sk::InNumber;
                        }
                        b't' | b'f' | b'n' => {
                            self.lit = match b {
                                b't' => b"true",
                                b'f' => b"false",
                                _ => b"null",
                            };
                            self.lit_pos = 1;
                            self.st = Sk::InLiteral;
                        }
                        _ => {
                            return Err(syntax(
                                at,
                                format!("expected a JSON value, found {}", describe(b)),
                            ))
                        }
                    }
                }
                Sk::KeyOrClose | Sk::Key => {
                    i += 1;
                    match b {
                        b' ' | b'\t' | b'\n' | b'\r' => {}
                        b'"' => self.st = Sk::InKey,
                        b'}' if self.st == Sk::KeyOrClose => {
                            self.stack.pop();
                            if self.value_done() {
                                return Ok((i, true));
                            }
                        }
                        _ => {
                            return Err(syntax(
                                at,
                                format!("expected an object key, found {}", describe(b)),
                            ))
                        }
                    }
                }
                Sk::InKey | Sk::InString => {
                    let (n, done) = self.text.feed(&buf[i..], None, at)?;
                    i += n;
                    if done {
                        if self.st == Sk::InKey {
                            self.st = Sk::Colon;
                        } else if self.value_done() {
                            return Ok((i, true));
                        }
                    }
                }
                Sk::Colon => {
                    i += 1;
                    match b {
                        b' ' | b'\t' | b'\n' | b'\r' => {}
                        b':' => self.st = Sk::Value,
                        _ => {
                            return Err(syntax(at, format!("expected ':', found {}", describe(b))))
                        }
                    }
                }
                Sk::InNumber => match self.num.step(b) {
                    NumStep::Take => i += 1,
                    NumStep::End => {
                        if self.value_done() {
                            return Ok((i, true));
                        }
                    }
                    NumStep::Bad => {
                        return Err(syntax(
                            at,
                            format!("invalid number: unexpected {}", describe(b)),
                        ))
                    }
                },
                Sk::InLiteral => {
                    if b != self.lit[self.lit_pos] {
                        return Err(syntax(
                            at,
                            format!("invalid literal: unexpected {}", describe(b)),
                        ));
                    }
                    i += 1;
                    self.lit_pos += 1;
                    if self.lit_pos == self.lit.len() && self.value_done() {
                        return Ok((i, true));
                    }
                }
                Sk::After => {
                    i += 1;
                    let object = self.stack.last().copied().unwrap_or(false);
                    match b {
                        b' ' | b'\t' | b'\n' | b'\r' => {}
                        b',' => self.st = if object { Sk::Key } else { Sk::Value },
                        b']' if !object => {
                            self.stack.pop();
                            if self.value_done() {
                                return Ok((i, true));
                            }
                        }
                        b'}' if object => {
                            self.stack.pop();
                            if self.value_done() {
                                return Ok((i, true));
                            }
                        }
                        _ => {
                            return Err(syntax(
                                at,
                                format!(
                                    "expected ',' or '{}', found {}",
                                    if object { '}' } else { ']' },
                                    describe(b)
                                ),
                            ))
                        }
                    }
                }
            }
        }
        Ok((i, false))
    }
}

pub(crate) fn describe(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", char::from(b))
    } else if b == 0 {
        // What /dev/zero, a sparse or a preallocated file is made of.
        "a NUL byte (0x00)".to_owned()
    } else {
        format!("byte 0x{b:02x}")
    }
}
