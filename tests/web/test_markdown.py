"""The playbooks' Markdown: a useful subset, and nothing a writer types becomes markup of its own."""

from __future__ import annotations

from deliveryops.web.markdown import render_markdown


def test_the_subset_renders() -> None:
    html = render_markdown("# Start\n\nSet a **WIP** limit, see [flow](/flow).\n\n- one *a*\n- two `x`\n\n1. first\n2. second")
    assert str(html) == (
        "<h2>Start</h2>\n"
        '<p>Set a <strong>WIP</strong> limit, see <a href="/flow">flow</a>.</p>\n'
        "<ul><li>one <em>a</em></li><li>two <code>x</code></li></ul>\n"
        "<ol><li>first</li><li>second</li></ol>"
    )


def test_tags_and_unsafe_addresses_stay_text() -> None:
    html = str(
        render_markdown(
            '<script>alert(1)</script> [x](javascript:alert(1)) [y](//evil.example) <img src=x onerror="a()">\n'
            "```\n<b>code</b>\n```\n"
            '[q](https://example.org/?a="b)'
        )
    )
    assert "<script" not in html
    assert "<img" not in html
    assert "href" not in html.split("<pre>", maxsplit=1)[0]  # neither javascript: nor a protocol-relative address is linked
    assert "<pre><code>&lt;b&gt;code&lt;/b&gt;</code></pre>" in html
    assert '<a href="https://example.org/?a=&quot;b" rel="noopener noreferrer">q</a>' in html
