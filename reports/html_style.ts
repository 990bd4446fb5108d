/** The page style both self-contained reports share (report.html and the aggregate's): text, verdict header, tables. */
export const PAGE_CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1f24;margin:0 auto;max-width:1000px;padding:16px}
h1{font-size:22px;margin:0 0 6px}h2{font-size:17px;border-bottom:1px solid #d0d7de;padding-bottom:3px;margin-top:28px}h3{font-size:15px}
header.verdict{padding:12px 16px;border-radius:6px;border:1px solid #d0d7de}
header.passed{background:#e9f7ef}header.failed,header.residue,header.error{background:#fdecec}header.aborted{background:#fff6e0}
.badge{padding:1px 8px;border-radius:4px;color:#fff;background:#57606a}
.passed .badge{background:#1a7f37}.failed .badge,.residue .badge,.error .badge{background:#cf222e}.aborted .badge{background:#9a6700}
.headline{font-size:15px;margin:6px 0 0}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f6f8fa}
tr.fail td{background:#fdecec}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0}dt{font-weight:600}dd{margin:0}
.fail{color:#a40e26}.note{color:#57606a;font-size:13px}code{font:12.5px ui-monospace,monospace;background:#f6f8fa;padding:0 3px;border-radius:3px}
figure{margin:10px 0}
`;
