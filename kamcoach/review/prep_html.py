"""The pre-call checklist as a self-contained HTML page (``kamcoach prep --format html``).

Same content and order as :func:`kamcoach.review.prep.checklist_markdown`, for
a rep who prints the page or a manager who reads it in a mail client. Every
user value (names, notes, team playbook texts) is escaped: shown, never run.
"""

from __future__ import annotations

from html import escape

from kamcoach.review.prep import TIER_LABEL, Checklist, checklist_label, status_label

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#222;margin:24px;max-width:900px}
h1{font-size:22px}h2{font-size:17px;margin-top:24px;border-bottom:1px solid #ddd}
h3{font-size:15px;margin-bottom:4px}.goal{font-style:italic;color:#555}.miss{color:#b35806}
ul{margin-top:4px}.q{font-style:italic}
"""


def checklist_html(checklist: Checklist) -> str:
    c = checklist

    def t(key: str) -> str:
        return escape(checklist_label(key, c.lang))

    tiers = TIER_LABEL.get(c.lang, TIER_LABEL["en"])
    title = f"{checklist_label('title', c.lang)}: {c.deal} ({c.account or '?'})"
    stage = escape(c.stage) + (f" ({t('next')}: {escape(c.next_stage)})" if c.next_stage else "")
    parts = [
        f"<h1>{escape(title)}</h1><ul>",
        f"<li>{t('stage')}: <b>{stage}</b></li>",
        f"<li>{c.amount:,.0f} {escape(c.currency)} · {t('close')} {escape(c.close_date or '?')}"
        f" · {escape(c.owner)}</li>",
        f"<li>{t('score')} ({escape(c.playbook)}): {c.overall:.0f}/100</li>",
        f"<li>{escape(c.next_step_line)}</li></ul>",
        f"<h2>{t('attend')}</h2><ul>",
    ]
    for a in c.attendees:
        if a.missing:
            parts.append(f'<li class="miss"><b>{escape(a.label)}</b>: {escape(a.note or "")}</li>')
        else:
            who = escape(a.name or "") + (f", {escape(a.title)}" if a.title else "")
            note = f' <span class="miss">({escape(a.note)})</span>' if a.note else ""
            parts.append(f"<li><b>{escape(a.label)}</b>: {who}{note}</li>")
    parts.append("</ul>")
    if not c.items:
        parts.append(f"<p>{t('none')}</p>")
    for guide in c.phases:
        parts.append(
            f"<h2>{escape(guide.name)} ({escape(guide.timing)})</h2>"
            f'<p class="goal">{escape(guide.goal)}</p>'
        )
        if guide.tips:
            parts.append(f"<p>{t('tips')}:</p><ul>")
            parts += [f"<li>{escape(tip)}</li>" for tip in guide.tips]
            parts.append("</ul>")
        for it in (i for i in c.items if i.phase == guide.id):
            known = "; ".join(f"“{escape(e)}”" for e in it.evidence) or t("nothing")
            parts += [
                f"<h3>☐ {escape(it.name)}: {it.score}/3 {escape(status_label(it.status, c.lang))}"
                f" → {it.target}/3 ({escape(tiers.get(it.tier, it.tier))})</h3><ul>",
                f'<li><b>{t("ask")}</b>: <span class="q">“{escape(it.question)}”</span></li>',
                f"<li><b>{t('when')}</b>: {escape(it.timing)}. {escape(it.when)}</li>",
                f"<li><b>{t('confirm')}</b>: {escape(it.confirm)}</li>",
                f"<li><b>{t('known')}</b>: {known}</li>",
                *([f"<li><b>{t('set_by')}</b>: {escape(it.set_by)}</li>"] if it.set_by else []),
                "</ul>",
            ]
    lang = "fr" if c.lang == "fr" else "en"
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(parts)}</body></html>\n"
    )
