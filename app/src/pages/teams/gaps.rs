//! A page of the inbox's gaps: each agent or credential with why it has no
//! owner (and by when an orphan is to be re-homed), its risk and the hints
//! of its likely owner, a checkbox and a one-click claim; then the pager.

use std::collections::BTreeSet;

use leptos::prelude::*;
use model::api::{self as json, OwnedKind};

use super::due_text;
use crate::components::risk::RiskCell;
use crate::routes;

/// A page of gaps with checkboxes, hints and one-click claims, then a pager.
#[component]
pub(super) fn GapTable(
    gaps: json::Page<json::Gap>,
    selected: RwSignal<BTreeSet<(OwnedKind, i64)>>,
    page: RwSignal<u32>,
    claim: impl Fn(Vec<(OwnedKind, i64)>, json::Ref) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let pages = (gaps.total + i64::from(gaps.limit) - 1) / i64::from(gaps.limit).max(1);
    let total = gaps.total;
    view! {
        <table class="data" data-testid="gaps">
            <thead>
                <tr>
                    <th><span class="visually-hidden">"Select"</span></th>
                    <th>"Agent or credential"</th>
                    <th>"Why"</th>
                    <th>"Risk"</th>
                    <th>"Likely owner"</th>
                </tr>
            </thead>
            <tbody>
                {gaps
                    .items
                    .into_iter()
                    .map(|gap| {
                        let key = (gap.kind, gap.entity.id);
                        let list = match gap.kind {
                            OwnedKind::Agent => "agents",
                            OwnedKind::Credential => "credentials",
                        };
                        let why = match (&gap.former_owner, gap.due) {
                            (Some(former), Some(due)) => {
                                let (date, late) = due_text(due);
                                view! {
                                    <span>
                                        {format!("{} left; re-home by ", former.name)}
                                        <span class=if late { "overdue" } else { "" }>{date}</span>
                                        {if late { " (overdue)" } else { "" }}
                                    </span>
                                }
                                    .into_any()
                            }
                            _ => view! { <span>"Never had an owner"</span> }.into_any(),
                        };
                        let first = gap.hints.iter().find_map(|h| h.person.clone());
                        let name = gap.entity.name.clone();
                        view! {
                            <tr data-testid="gap">
                                <td>
                                    <input
                                        type="checkbox"
                                        aria-label=format!("Select {name}")
                                        prop:checked=move || selected.with(|s| s.contains(&key))
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            selected
                                                .update(|s| {
                                                    if on {
                                                        s.insert(key);
                                                    } else {
                                                        s.remove(&key);
                                                    }
                                                });
                                        }
                                    />
                                </td>
                                <td>
                                    <span class="kind-tag">{gap.kind.label()}</span>
                                    " "
                                    <a href=routes::entity_path(list, gap.entity.id)>{gap.entity.name}</a>
                                    {gap.team.map(|t| view! { <div class="subtle">{t.name}</div> })}
                                </td>
                                <td>{why}</td>
                                <td>
                                    <RiskCell risk=gap.risk />
                                </td>
                                <td>
                                    <ul class="hints">
                                        {gap
                                            .hints
                                            .into_iter()
                                            .map(|h| {
                                                let who = h
                                                    .person
                                                    .map(|p| p.name)
                                                    .or(h.team.map(|t| t.name))
                                                    .unwrap_or_default();
                                                let whole = format!("{who} {}", h.reason);
                                                view! {
                                                    <li title=whole>
                                                        <strong>{who}</strong>
                                                        " "
                                                        <span class="subtle">{h.reason}</span>
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                    {first
                                        .map(|person| {
                                            let label = format!("Claim for {}", person.name);
                                            view! {
                                                <button
                                                    type="button"
                                                    class="secondary small"
                                                    name="claim-one"
                                                    on:click=move |_| claim(vec![key], person.clone())
                                                >
                                                    {label}
                                                </button>
                                            }
                                        })}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        <div class="pager">
            <button type="button" class="secondary" disabled=move || { page.get() <= 1 } on:click=move |_| page.update(|p| *p -= 1)>
                "Previous"
            </button>
            <span class="num">{move || format!("Page {} of {} ({total} in all)", page.get(), pages.max(1))}</span>
            <button
                type="button"
                class="secondary"
                disabled=move || { i64::from(page.get()) >= pages }
                on:click=move |_| page.update(|p| *p += 1)
            >
                "Next"
            </button>
        </div>
    }
}
