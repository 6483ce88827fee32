//! A line diff of two versions of a script or tariff, as the rules console shows it: the
//! longest common subsequence of their lines, the rest removed from the older or added in the
//! newer. Sources are at most 64 KiB, so the quadratic table stays small; beyond
//! [`MAX_CELLS`] the common head and tail are kept and the middle shown as replaced.

/// What happened to a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// In both.
    Same,
    /// Only in the older.
    Removed,
    /// Only in the newer.
    Added,
}

/// One line of the diff, with its numbers in the older and the newer version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    /// What happened to it.
    pub change: Change,
    /// Its number in the older version (removed and same lines).
    pub old: Option<usize>,
    /// Its number in the newer version (added and same lines).
    pub new: Option<usize>,
    /// The line.
    pub text: String,
}

/// The most table cells the diff computes (lines of the older × lines of the newer, after the
/// common head and tail are taken off).
pub const MAX_CELLS: usize = 4_000_000;

/// The diff of `older` to `newer`, line by line.
pub fn diff(older: &str, newer: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = older.lines().collect();
    let b: Vec<&str> = newer.lines().collect();
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (mid_a, mid_b) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let mut out: Vec<DiffLine> = (0..head).map(|i| same(i, i, a[i])).collect();
    if mid_a.len().saturating_mul(mid_b.len()) > MAX_CELLS {
        out.extend(mid_a.iter().enumerate().map(|(i, t)| removed(head + i, t)));
        out.extend(mid_b.iter().enumerate().map(|(j, t)| added(head + j, t)));
    } else {
        // lcs[i][j]: the longest common subsequence of mid_a[i..] and mid_b[j..].
        let (n, m) = (mid_a.len(), mid_b.len());
        let mut lcs = vec![0u32; (n + 1) * (m + 1)];
        let at = |i: usize, j: usize| i * (m + 1) + j;
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[at(i, j)] = if mid_a[i] == mid_b[j] {
                    lcs[at(i + 1, j + 1)] + 1
                } else {
                    lcs[at(i + 1, j)].max(lcs[at(i, j + 1)])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && mid_a[i] == mid_b[j] {
                out.push(same(head + i, head + j, mid_a[i]));
                (i, j) = (i + 1, j + 1);
            } else if i < n && (j == m || lcs[at(i + 1, j)] >= lcs[at(i, j + 1)]) {
                // A removal before the addition that replaces it, as diffs read.
                out.push(removed(head + i, mid_a[i]));
                i += 1;
            } else {
                out.push(added(head + j, mid_b[j]));
                j += 1;
            }
        }
    }
    let (start_a, start_b) = (a.len() - tail, b.len() - tail);
    out.extend((0..tail).map(|k| same(start_a + k, start_b + k, a[start_a + k])));
    out
}

fn same(i: usize, j: usize, text: &str) -> DiffLine {
    DiffLine {
        change: Change::Same,
        old: Some(i + 1),
        new: Some(j + 1),
        text: text.to_owned(),
    }
}

fn removed(i: usize, text: &str) -> DiffLine {
    DiffLine {
        change: Change::Removed,
        old: Some(i + 1),
        new: None,
        text: text.to_owned(),
    }
}

fn added(j: usize, text: &str) -> DiffLine {
    DiffLine {
        change: Change::Added,
        old: None,
        new: Some(j + 1),
        text: text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(d: &[DiffLine]) -> String {
        d.iter()
            .map(|l| {
                let mark = match l.change {
                    Change::Same => ' ',
                    Change::Removed => '-',
                    Change::Added => '+',
                };
                format!("{mark}{}", l.text)
            })
            .collect::<Vec<_>>()
            .join("|")
    }

    #[test]
    fn a_changed_line_is_removed_then_added_between_what_stays() {
        let d = diff("a\nb\nc\nd\n", "a\nB\nc\nd\ne\n");
        assert_eq!(shape(&d), " a|-b|+B| c| d|+e");
        // Numbers in each version.
        assert_eq!((d[1].old, d[1].new), (Some(2), None));
        assert_eq!((d[2].old, d[2].new), (None, Some(2)));
        assert_eq!((d[5].old, d[5].new), (None, Some(5)));
        assert_eq!((d[4].old, d[4].new), (Some(4), Some(4)));
    }

    #[test]
    fn equal_empty_and_disjoint_sources() {
        assert_eq!(shape(&diff("x\ny", "x\ny")), " x| y");
        assert!(diff("", "").is_empty());
        assert_eq!(shape(&diff("", "a")), "+a");
        assert_eq!(shape(&diff("a\nb", "")), "-a|-b");
        assert_eq!(shape(&diff("a\nb", "c\nd")), "-a|-b|+c|+d");
        // A line moved down is one removal and one addition, the rest stays.
        assert_eq!(shape(&diff("a\nb\nc", "b\nc\na")), "-a| b| c|+a");
    }

    #[test]
    fn a_huge_middle_is_shown_replaced() {
        let older: String = (0..2_100).map(|i| format!("o{i}\n")).collect();
        let newer: String = (0..2_100).map(|i| format!("n{i}\n")).collect();
        let d = diff(
            &format!("kop\n{older}staart"),
            &format!("kop\n{newer}staart"),
        );
        assert_eq!(d.len(), 2 + 4_200);
        assert_eq!(d[0].change, Change::Same);
        assert!(d[1..2_101].iter().all(|l| l.change == Change::Removed));
        assert!(d[2_101..4_201].iter().all(|l| l.change == Change::Added));
        assert_eq!(d[4_201].text, "staart");
    }
}
