//! Where the nodes of the lineage graph go: a layered drawing after Sugiyama,
//! Tagawa and Toda (1981), in four steps.
//!
//! 1. **Layers by kind**, left to right in the order agency is delegated:
//!    teams and people, agents, tools, credentials, then resources and the
//!    stored copies of secrets. Teams share the people's column (above them,
//!    joined by a bracket on the left), and copies the resources' one (below
//!    them): five columns fit a laptop's screen where six did not.
//! 2. **Long edges are broken** by a dummy vertex in every column they cross
//!    (a person who owns a credential directly), so that ordering sees them
//!    and their curves run in the gaps between nodes, never through one.
//! 3. **Order within each column.** A first drawing starts from the order
//!    of a depth-first walk from the root and sweeps the barycentre heuristic
//!    down and up, keeping the order with the fewest crossings (counted
//!    exactly, as inversions). A drawing that grows keeps the order and the
//!    height of every node already drawn; new nodes go where their neighbours
//!    are, so an expansion opens beside its parent and nothing else jumps.
//! 4. **Heights.** Each vertex wishes to sit level with the mean of its
//!    neighbours; each column is then placed as near those wishes as its
//!    order and the gaps allow. That is a least-squares problem under order
//!    constraints, solved exactly by merging blocks (pool adjacent violators),
//!    and a few rounds of it straighten the chains.
//!
//! Everything is in drawing units; the component scales the drawing to the
//! screen.

use std::collections::HashMap;

use model::api::NodeKind;

/// A node's width, in drawing units.
pub const NODE_W: f64 = 156.0;
/// A node's height.
pub const NODE_H: f64 = 44.0;
/// The gap between two columns, where the edges run.
pub const LAYER_GAP: f64 = 36.0;
/// From one column's left edge to the next one's.
pub const COL_PITCH: f64 = NODE_W + LAYER_GAP;
/// The least gap between two nodes of a column.
pub const NODE_GAP: f64 = 10.0;
/// Space around the drawing (the team brackets use the left one).
pub const MARGIN: f64 = 20.0;
/// The height a long edge takes where it crosses a column.
const DUMMY_H: f64 = 4.0;
/// The least gap between an edge crossing a column and its neighbours.
const DUMMY_GAP: f64 = 6.0;
/// Columns before the empty ones are dropped.
const LAYERS: usize = 5;
/// Barycentre sweeps, alternately down and up.
const SWEEPS: usize = 12;
/// Rounds of height placement, alternately left to right and back.
const ROUNDS: usize = 12;
/// How firmly a node already drawn keeps its height when the drawing grows.
const ANCHOR: f64 = 50.0;
/// How firmly a long edge's vertices pull towards a straight line.
const STRAIGHTEN: f64 = 2.0;

/// The column of a kind, before empty columns are dropped.
pub fn layer(kind: NodeKind) -> usize {
    match kind {
        NodeKind::Team | NodeKind::Person => 0,
        NodeKind::Agent => 1,
        NodeKind::Tool => 2,
        NodeKind::Credential => 3,
        NodeKind::Resource | NodeKind::Copy => 4,
    }
}

/// Within a shared column, teams come above people and resources above copies.
fn band(kind: NodeKind) -> u8 {
    u8::from(matches!(kind, NodeKind::Person | NodeKind::Copy))
}

/// A node to place.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    /// Its id, which a later layout uses to keep it where it was.
    pub id: &'a str,
    /// Its kind, which gives its column.
    pub kind: NodeKind,
}

/// Where the nodes and edges go.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Layout {
    /// The nodes' ids, in the order they were given.
    pub ids: Vec<String>,
    /// Each node's top-left corner, in the same order.
    pub at: Vec<(f64, f64)>,
    /// Each edge's route, in the order the edges were given: the points a
    /// curve goes through, from its upstream end to its downstream one.
    /// A route of two points in one column joins a team to a member.
    pub routes: Vec<Vec<(f64, f64)>>,
    /// The drawing's width.
    pub width: f64,
    /// The drawing's height.
    pub height: f64,
}

impl Layout {
    /// The top-left corner of the node with this id.
    pub fn position(&self, id: &str) -> Option<(f64, f64)> {
        self.ids.iter().position(|i| i == id).map(|i| self.at[i])
    }
}

/// The vertices of the layered graph: the nodes, then the dummies.
struct Layered {
    /// Column of each vertex.
    column: Vec<usize>,
    /// Height of each vertex.
    height: Vec<f64>,
    /// Its neighbours one column to the left.
    up: Vec<Vec<usize>>,
    /// Its neighbours one column to the right.
    down: Vec<Vec<usize>>,
    /// Its neighbours in its own column (a team and its members).
    side: Vec<Vec<usize>>,
    /// The band (see [`band`]) of each vertex.
    band: Vec<u8>,
    /// Whether each vertex is a team.
    team: Vec<bool>,
    /// The vertices each edge goes through.
    chains: Vec<Vec<usize>>,
    /// Columns in use.
    columns: usize,
}

impl Layered {
    fn new(nodes: &[Item], edges: &[(usize, usize)]) -> Layered {
        let mut used = [false; LAYERS];
        for node in nodes {
            used[layer(node.kind)] = true;
        }
        let mut renumber = [0; LAYERS];
        let mut columns = 0;
        for (l, used) in used.iter().enumerate() {
            renumber[l] = columns;
            columns += usize::from(*used);
        }
        let count = nodes.len();
        let mut g = Layered {
            column: nodes.iter().map(|n| renumber[layer(n.kind)]).collect(),
            height: vec![NODE_H; count],
            up: vec![Vec::new(); count],
            down: vec![Vec::new(); count],
            side: vec![Vec::new(); count],
            band: nodes.iter().map(|n| band(n.kind)).collect(),
            team: nodes.iter().map(|n| n.kind == NodeKind::Team).collect(),
            chains: Vec::with_capacity(edges.len()),
            columns: columns.max(1),
        };
        for &(a, b) in edges {
            let (a, b) = if g.column[a] <= g.column[b] {
                (a, b)
            } else {
                (b, a)
            };
            if g.column[a] == g.column[b] {
                g.side[a].push(b);
                g.side[b].push(a);
                g.chains.push(vec![a, b]);
                continue;
            }
            let mut chain = vec![a];
            let mut last = a;
            for column in g.column[a] + 1..g.column[b] {
                let dummy = g.column.len();
                g.column.push(column);
                g.height.push(DUMMY_H);
                g.up.push(vec![last]);
                g.down.push(Vec::new());
                g.side.push(Vec::new());
                g.band.push(0);
                g.team.push(false);
                g.down[last].push(dummy);
                chain.push(dummy);
                last = dummy;
            }
            g.down[last].push(b);
            g.up[b].push(last);
            chain.push(b);
            g.chains.push(chain);
        }
        g
    }

    fn len(&self) -> usize {
        self.column.len()
    }

    fn neighbours(&self, v: usize) -> impl Iterator<Item = usize> + '_ {
        self.up[v]
            .iter()
            .chain(&self.down[v])
            .chain(&self.side[v])
            .copied()
    }

    /// Each team just above the first of its members, so that a column of
    /// several teams reads as groups; teams with no member drawn on top.
    fn group_teams(&self, row: &mut Vec<usize>) {
        if !row.iter().any(|&v| self.team[v]) {
            return;
        }
        let mut placed = vec![false; self.len()];
        let mut grouped: Vec<usize> = row
            .iter()
            .copied()
            .filter(|&v| self.team[v] && self.side[v].is_empty())
            .collect();
        for &v in row.iter().filter(|&&v| !self.team[v]) {
            for &team in &self.side[v] {
                if !placed[team] {
                    placed[team] = true;
                    grouped.push(team);
                }
            }
            grouped.push(v);
        }
        // A team whose members sit elsewhere (none should) keeps a place.
        grouped.extend(
            row.iter()
                .copied()
                .filter(|&v| self.team[v] && !self.side[v].is_empty() && !placed[v]),
        );
        *row = grouped;
    }

    /// The least distance between the centres of two vertices stacked in a column.
    fn separation(&self, a: usize, b: usize) -> f64 {
        let gap = if self.height[a] == DUMMY_H || self.height[b] == DUMMY_H {
            DUMMY_GAP
        } else {
            NODE_GAP
        };
        (self.height[a] + self.height[b]) / 2.0 + gap
    }
}

/// Lays the nodes out. `edges` index `nodes`; `previous`, when given, is the
/// layout of the drawing this one grows from: its nodes keep their order and,
/// as far as the new ones allow, their height.
pub fn layout(nodes: &[Item], edges: &[(usize, usize)], previous: Option<&Layout>) -> Layout {
    let g = Layered::new(nodes, edges);
    let before: HashMap<&str, f64> = previous
        .map(|p| {
            p.ids
                .iter()
                .zip(&p.at)
                .map(|(id, (_, y))| (id.as_str(), y + NODE_H / 2.0))
                .collect()
        })
        .unwrap_or_default();
    let anchor: Vec<Option<f64>> = (0..g.len())
        .map(|v| nodes.get(v).and_then(|n| before.get(n.id).copied()))
        .collect();
    let grows = anchor.iter().any(Option::is_some);
    let (rows, wish) = if grows {
        order_around(&g, &anchor)
    } else {
        (order_fresh(&g), None)
    };
    let mut rows = rows;
    if let Some(first) = rows.first_mut() {
        g.group_teams(first);
    }
    let y = heights(&g, &rows, &anchor, wish);
    let top = (0..g.len())
        .map(|v| y[v] - g.height[v] / 2.0)
        .fold(f64::INFINITY, f64::min);
    let shift = if top.is_finite() { MARGIN - top } else { 0.0 };
    let x = |v: usize| MARGIN + g.column[v] as f64 * COL_PITCH;
    let at = (0..nodes.len())
        .map(|v| (x(v), y[v] + shift - NODE_H / 2.0))
        .collect();
    let routes = g
        .chains
        .iter()
        .map(|chain| {
            let (first, last) = (chain[0], chain[chain.len() - 1]);
            if g.column[first] == g.column[last] {
                return vec![(x(first), y[first] + shift), (x(last), y[last] + shift)];
            }
            let mut points = vec![(x(first) + NODE_W, y[first] + shift)];
            for &dummy in &chain[1..chain.len() - 1] {
                points.push((x(dummy), y[dummy] + shift));
                points.push((x(dummy) + NODE_W, y[dummy] + shift));
            }
            points.push((x(last), y[last] + shift));
            points
        })
        .collect();
    let bottom = (0..g.len())
        .map(|v| y[v] + shift + g.height[v] / 2.0)
        .fold(MARGIN, f64::max);
    Layout {
        ids: nodes.iter().map(|n| n.id.to_owned()).collect(),
        at,
        routes,
        width: 2.0 * MARGIN + (g.columns - 1) as f64 * COL_PITCH + NODE_W,
        height: bottom + MARGIN,
    }
}

/// The order of a first drawing: a depth-first walk from the first node, then
/// barycentre sweeps, keeping the order with the fewest crossings.
fn order_fresh(g: &Layered) -> Vec<Vec<usize>> {
    let mut seen = vec![usize::MAX; g.len()];
    let mut visit = 0;
    for start in 0..g.len() {
        let mut stack = vec![start];
        while let Some(v) = stack.pop() {
            if seen[v] != usize::MAX {
                continue;
            }
            seen[v] = visit;
            visit += 1;
            // Reversed so that the first neighbour is walked first.
            let next: Vec<usize> = g.neighbours(v).filter(|&n| seen[n] == usize::MAX).collect();
            stack.extend(next.into_iter().rev());
        }
    }
    let mut rows = vec![Vec::new(); g.columns];
    for v in 0..g.len() {
        rows[g.column[v]].push(v);
    }
    for row in &mut rows {
        row.sort_by_key(|&v| (g.band[v], seen[v]));
    }
    let mut position = vec![0.0; g.len()];
    let number = |rows: &[Vec<usize>], position: &mut [f64]| {
        for row in rows {
            for (i, &v) in row.iter().enumerate() {
                position[v] = i as f64;
            }
        }
    };
    number(&rows, &mut position);
    let mut best = (crossings(g, &rows, &position), rows.clone());
    for sweep in 0..SWEEPS {
        if best.0 == 0 {
            break;
        }
        let downwards = sweep % 2 == 0;
        let order: Vec<usize> = if downwards {
            (1..g.columns).collect()
        } else {
            (0..g.columns.saturating_sub(1)).rev().collect()
        };
        for c in order {
            let mut keyed: Vec<(u8, f64, f64, usize)> = rows[c]
                .iter()
                .map(|&v| {
                    let fixed = if downwards { &g.up[v] } else { &g.down[v] };
                    let key = if fixed.is_empty() {
                        position[v]
                    } else {
                        fixed.iter().map(|&n| position[n]).sum::<f64>() / fixed.len() as f64
                    };
                    (g.band[v], key, position[v], v)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.total_cmp(&b.2)));
            rows[c] = keyed.into_iter().map(|(_, _, _, v)| v).collect();
            for (i, &v) in rows[c].iter().enumerate() {
                position[v] = i as f64;
            }
        }
        let count = crossings(g, &rows, &position);
        if count < best.0 {
            best = (count, rows.clone());
        }
    }
    best.1
}

/// The order of a drawing that grows: the nodes drawn before keep their
/// heights, every new vertex takes the mean height of its neighbours placed
/// so far (spreading outwards from the old ones), and each column is sorted
/// by those heights. Returns the order and the heights it came from.
fn order_around(g: &Layered, anchor: &[Option<f64>]) -> (Vec<Vec<usize>>, Option<Vec<f64>>) {
    let mut wish: Vec<Option<f64>> = anchor.to_vec();
    loop {
        let mut changed = false;
        for v in 0..g.len() {
            if wish[v].is_some() {
                continue;
            }
            let known: Vec<f64> = g.neighbours(v).filter_map(|n| wish[n]).collect();
            if !known.is_empty() {
                wish[v] = Some(known.iter().sum::<f64>() / known.len() as f64);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    // What is connected to nothing drawn goes below everything.
    let floor = wish.iter().flatten().fold(0.0_f64, |a, &b| a.max(b)) + NODE_H + NODE_GAP;
    let wish: Vec<f64> = wish.into_iter().map(|w| w.unwrap_or(floor)).collect();
    let mut rows = vec![Vec::new(); g.columns];
    for v in 0..g.len() {
        rows[g.column[v]].push(v);
    }
    for row in &mut rows {
        // Old before new at the same height: the new ones open below.
        row.sort_by(|&a, &b| {
            g.band[a]
                .cmp(&g.band[b])
                .then(wish[a].total_cmp(&wish[b]))
                .then(anchor[a].is_none().cmp(&anchor[b].is_none()))
                .then(a.cmp(&b))
        });
    }
    (rows, Some(wish))
}

/// Crossings between neighbouring columns, counted exactly: sort each
/// column pair's edges by their upper end, and count the inversions of
/// their lower ends (by merge sort).
fn crossings(g: &Layered, rows: &[Vec<usize>], position: &[f64]) -> usize {
    let mut total = 0;
    for row in rows {
        let mut pairs: Vec<(f64, f64)> = row
            .iter()
            .flat_map(|&u| g.down[u].iter().map(move |&v| (position[u], position[v])))
            .collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let mut lower: Vec<f64> = pairs.into_iter().map(|(_, b)| b).collect();
        total += inversions(&mut lower);
    }
    total
}

/// Sorts `values` and returns how many pairs were out of order.
fn inversions(values: &mut [f64]) -> usize {
    if values.len() < 2 {
        return 0;
    }
    let middle = values.len() / 2;
    let mut count = inversions(&mut values[..middle]) + inversions(&mut values[middle..]);
    let mut merged = Vec::with_capacity(values.len());
    let (mut i, mut j) = (0, middle);
    while i < middle && j < values.len() {
        if values[j] < values[i] {
            count += middle - i;
            merged.push(values[j]);
            j += 1;
        } else {
            merged.push(values[i]);
            i += 1;
        }
    }
    merged.extend_from_slice(&values[i..middle]);
    merged.extend_from_slice(&values[j..]);
    values.copy_from_slice(&merged);
    count
}

/// The centre height of every vertex: columns stacked tightly at first (or
/// from `start` when the drawing grows), then rounds in which each vertex
/// wishes to be level with the mean of its neighbours (or where it was
/// drawn before) and each column is placed as near its wishes as it can.
fn heights(g: &Layered, rows: &[Vec<usize>], anchor: &[Option<f64>], start: Option<Vec<f64>>) -> Vec<f64> {
    let mut y = vec![0.0; g.len()];
    match start {
        Some(start) => {
            for row in rows {
                let wish: Vec<f64> = row.iter().map(|&v| start[v]).collect();
                place(g, row, &wish, &vec![1.0; row.len()], &mut y);
            }
        }
        None => {
            for row in rows {
                let mut at = 0.0;
                for (i, &v) in row.iter().enumerate() {
                    if i > 0 {
                        at += g.separation(row[i - 1], v);
                    }
                    y[v] = at;
                }
                let middle = at / 2.0;
                for &v in row {
                    y[v] -= middle;
                }
            }
        }
    }
    let weight: Vec<f64> = (0..g.len())
        .map(|v| {
            if anchor[v].is_some() {
                ANCHOR
            } else if g.height[v] == DUMMY_H {
                STRAIGHTEN
            } else {
                1.0
            }
        })
        .collect();
    for round in 0..ROUNDS {
        let order: Vec<usize> = if round % 2 == 0 {
            (0..g.columns).collect()
        } else {
            (0..g.columns).rev().collect()
        };
        for c in order {
            let row = &rows[c];
            let wish: Vec<f64> = row
                .iter()
                .map(|&v| {
                    if let Some(at) = anchor[v] {
                        return at;
                    }
                    let (sum, count) = g.neighbours(v).fold((0.0, 0), |(s, n), u| (s + y[u], n + 1));
                    if count == 0 { y[v] } else { sum / count as f64 }
                })
                .collect();
            let weights: Vec<f64> = row.iter().map(|&v| weight[v]).collect();
            place(g, row, &wish, &weights, &mut y);
        }
    }
    y
}

/// Places one column: the heights nearest `wish` (weighted least squares)
/// that keep `row`'s order and its gaps. With `offset[i]` the least distance
/// from the first vertex to the i-th, `y[i] - offset[i]` must not decrease:
/// an isotonic regression, solved by pooling adjacent violators.
fn place(g: &Layered, row: &[usize], wish: &[f64], weight: &[f64], y: &mut [f64]) {
    let mut offset = Vec::with_capacity(row.len());
    let mut at = 0.0;
    for (i, &v) in row.iter().enumerate() {
        if i > 0 {
            at += g.separation(row[i - 1], v);
        }
        offset.push(at);
    }
    // Blocks of (total weight, weighted sum, length).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(row.len());
    for i in 0..row.len() {
        blocks.push((weight[i], weight[i] * (wish[i] - offset[i]), 1));
        while blocks.len() > 1 {
            let (w2, s2, n2) = blocks[blocks.len() - 1];
            let (w1, s1, n1) = blocks[blocks.len() - 2];
            if s1 / w1 <= s2 / w2 {
                break;
            }
            blocks.pop();
            let last = blocks.len() - 1;
            blocks[last] = (w1 + w2, s1 + s2, n1 + n2);
        }
    }
    let mut i = 0;
    for (w, s, n) in blocks {
        for _ in 0..n {
            y[row[i]] = s / w + offset[i];
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests;
