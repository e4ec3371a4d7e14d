"""Simulated error families with a hidden correct fix, for the pattern library's retrieval test.

Each family has the wordings its traces use and a pool of query wordings (another browser's or
tool's message, other identifiers and files), split by a hash of the text: `train` queries
calibrate the minimum relevance, `held_out` ones are only ever scored. Traces of a family record recovery
journeys whose failed attempts try *other* families' fixes before the right one (or never
find it: unresolved traces carry no successful fix). Out-of-library queries are errors unlike
any family. Which fix is right is this module's hidden truth: the library never reads it.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass

import polars as pl

TRACE_NAMES = ("items", "users", "cartLines", "posts")
TRACE_FILES = ("src/components/ItemList.tsx", "src/pages/Dashboard.tsx", "src/features/cart/Cart.tsx")


@dataclass(frozen=True)
class Family:
    key: str
    type: str
    trace: tuple[str, ...]  # message templates of the traces ({name}, {file})
    queries_a: tuple[str, ...]  # query wordings, none of them a trace's; pooled and split by `queries`
    queries_b: tuple[str, ...]
    fix: str
    diff: str
    rule: str


FAMILIES = (
    Family("undefined_map", "TypeError",
           ("TypeError: Cannot read properties of undefined (reading 'map') at {file}",),
           ("TypeError: undefined is not an object (evaluating 'products.map')",),
           ("TypeError: can't access property \"map\", orders is undefined", "TypeError: Cannot read property 'map' of undefined in CommentsFeed", 'Uncaught TypeError: invoices?.map is not a function because invoices is null'),
           "guard the async data with a loading state and default to an empty array before mapping",
           "+  if (loading) return <Skeleton />;\n+  return (items ?? []).map(render);",
           "Guard async data with explicit loading and empty states before rendering collections."),
    Family("alias_resolve", "ModuleNotFound",
           ("Module not found: Error: Can't resolve '@/components/ui/{name}' in '/app/src/pages'",),
           ("[vite] Failed to resolve import \"@/lib/utils\" from \"src/App.tsx\". Does the file exist?",),
           ("Cannot find module '@/hooks/useAuth' or its corresponding type declarations. ts(2307)", "Module not found: Can't resolve '~/utils/format' in 'C:\\\\work\\\\web\\\\src'", "error TS2307: Cannot find module '@/store/session'."),
           "declare the @ path alias in tsconfig paths and mirror it in the bundler resolve.alias",
           '+    "paths": { "@/*": ["./src/*"] },\n+  resolve: { alias: { "@": path.resolve(__dirname, "src") } },',
           "Keep path aliases declared once in tsconfig and mirrored in the bundler config."),
    Family("hydration", "HydrationMismatch",
           ("Error: Hydration failed because the initial UI does not match what was rendered on the server.",),
           ("Warning: Text content did not match. Server: \"10:42:01 AM\" Client: \"10:42:02 AM\"",),
           ("Error: There was an error while hydrating. Because the error happened outside of a Suspense boundary, "
            "the entire root will switch to client rendering.", 'Warning: Prop `className` did not match. Server: "theme-dark" Client: "theme-light"', 'Hydration mismatch: server rendered HTML differs from the client render in <Clock>'),
           "render Date and Math.random values in an effect after mount so server and client markup match",
           "+  const [now, setNow] = useState<string | null>(null);\n+  useEffect(() => setNow(new Date().toLocaleTimeString()), []);",
           "Render non-deterministic values only after mount."),
    Family("cors", "CORSError",
           ("Access to fetch at 'https://api.internal.dev/v1/{name}' from origin 'http://localhost:5173' has been "
            "blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.",),
           ("Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at "
            "https://backend.example.com/orders. (Reason: CORS header 'Access-Control-Allow-Origin' missing).",),
           ("Origin http://localhost:3000 is not allowed by Access-Control-Allow-Origin. Status code: 200", 'Fetch API cannot load https://payments.acme.io/charge due to access control checks.', "Response to preflight request doesn't pass access control check: It does not have HTTP ok status."),
           "configure the API's CORS middleware to allow the app origin with credentials",
           "+app.use(cors({ origin: process.env.APP_ORIGIN, credentials: true }));",
           "Allow the exact app origin on the API instead of weakening the browser."),
    Family("ts_undefined", "TS2322",
           ("TS2322: Type 'string | undefined' is not assignable to type 'string'. {file}",),
           ("error TS2345: Argument of type 'number | undefined' is not assignable to parameter of type 'number'.",),
           ("Type 'User | undefined' is not assignable to type 'User'. Type 'undefined' is not assignable to type 'User'.ts(2322)", "Object is possibly 'undefined'. ts(2532) at profile.address.city", "TS18048: 'session.user' is possibly 'undefined'."),
           "narrow the optional value with an explicit undefined check instead of casting",
           "+  if (title === undefined) return null;",
           "Narrow optional values at the boundary instead of casting."),
    Family("update_loop", "MaxUpdateDepth",
           ("Error: Maximum update depth exceeded. This can happen when a component calls setState inside useEffect "
            "without a dependency array.",),
           ("Error: Too many re-renders. React limits the number of renders to prevent an infinite loop.",),
           ("Warning: Maximum update depth exceeded in FilterPanel: setState is called on every render of the effect.", 'Too many re-renders in SearchResults: setQuery called during render', 'Uncaught Error: Maximum update depth exceeded at checkForNestedUpdates'),
           "derive the filtered state with useMemo instead of syncing it through setState in an effect",
           "+  const filtered = useMemo(() => items.filter(match), [items, match]);",
           "Derive state with useMemo instead of syncing it with setState."),
    Family("env_missing", "EnvVarMissing",
           ("Error: Missing required environment variable DATABASE_URL",),
           ("KeyError: 'STRIPE_SECRET_KEY' environment variable is not set",),
           ("Error: Environment variable not found: REDIS_URL.", 'ValidationError: OPENAI_API_KEY is required but was undefined in process.env', 'pydantic_settings: 1 validation error for Settings: SENTRY_DSN field required'),
           "declare the variable in .env.example and load it through a validated config module at startup",
           "+export const config = z.object({ DATABASE_URL: z.string().url() }).parse(process.env);",
           "Validate configuration once at startup and fail fast with a clear message."),
    Family("jwt_expired", "AuthTokenExpired",
           ("HTTPError: 401 Unauthorized: jwt expired",),
           ("TokenExpiredError: jwt expired at 2026-01-02T10:00:00.000Z",),
           ("AxiosError: Request failed with status code 401: the access token has expired", '401 Unauthorized {"error":"token_expired","message":"Access token expired"}', 'JsonWebTokenError: TokenExpiredError while verifying the session cookie'),
           "refresh the session token in the fetch wrapper and retry the request once",
           "+  if (res.status === 401 && !retried) { await session.refresh(); return request(path, init, true); }",
           "Centralise token refresh in the API client with a single retry."),
    Family("migration_drift", "MigrationDrift",
           ("Error: P3006 Drift detected: Your database schema is not in sync with your migration history.",),
           ("alembic.util.exc.CommandError: Target database is not up to date with the migration history.",),
           ("Error: migration checksum mismatch: applied migration 20260101_init was modified after it was applied", 'The migration `20260212_add_orders` was modified after it was applied. We need to reset the database.', 'django.db.migrations.exceptions.InconsistentMigrationHistory: Migration shop.0004 is applied before its dependency'),
           "generate a new migration from the current schema instead of editing applied migrations",
           "+npx prisma migrate dev --name sync_schema",
           "Never edit applied migrations; add a new one."),
    Family("hook_rules", "InvalidHookCall",
           ("Error: Invalid hook call. Hooks can only be called inside of the body of a function component.",),
           ("React Hook \"useState\" is called conditionally. React Hooks must be called in the exact same order in every component render.",),
           ("Error: Rendered more hooks than during the previous render.", 'React Hook "useEffect" is called in function "loadData" that is neither a React function component nor a custom React Hook', 'Error: Should have a queue. This is likely a bug in React: hooks called in a different order'),
           "call hooks unconditionally at the top level of the component and move conditions inside them",
           "-  if (open) { const [q, setQ] = useState(''); }\n+  const [q, setQ] = useState('');",
           "Hooks at the top level, in the same order on every render."),
    Family("list_keys", "ReactKeyWarning",
           ("Warning: Each child in a list should have a unique \"key\" prop. Check the render method of `{name}`.",),
           ("Warning: Encountered two children with the same key, `item-3`. Keys should be unique so that components maintain their identity.",),
           ("Warning: Each child in an array or iterator should have a unique \"key\" prop.", 'Warning: Each child in a list should have a unique "key" prop. See https://react.dev/link/warning-keys', "Duplicate key 'row-7' found while rendering <tbody> rows in OrdersTable"),
           "give every rendered list item a stable unique key from its data id, never the array index",
           "-  {rows.map((row, i) => <Row key={i} row={row} />)}\n+  {rows.map((row) => <Row key={row.id} row={row} />)}",
           "Key list items by a stable id from the data."),
    Family("port_in_use", "EADDRINUSE",
           ("Error: listen EADDRINUSE: address already in use :::3000",),
           ("OSError: [Errno 98] Address already in use while starting the dev server",),
           ("Port 5173 is already in use by another process; the dev server could not bind to it", 'Error: listen EADDRINUSE: address already in use 127.0.0.1:8080', 'Something is already running on port 3000. Would you like to run the app on another port instead?'),
           "read the port from the PORT environment variable and stop the stale dev server process holding it",
           "+const port = Number(process.env.PORT ?? 3000);",
           "Never hard-code the dev server port."),
    Family("heap_oom", "HeapOutOfMemory",
           ("FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",),
           ("FATAL ERROR: Ineffective mark-compacts near heap limit Allocation failed during next build",),
           ("<--- JS stacktrace ---> FATAL ERROR: CALL_AND_RETRY_LAST Allocation failed - process out of memory in webpack", 'FATAL ERROR: Reached heap limit during tsc type checking: JavaScript heap out of memory', "Aborted (core dumped) after 'Allocation failed - JavaScript heap out of memory' in next build"),
           "raise the Node heap with NODE_OPTIONS=--max-old-space-size and split the largest bundle chunk",
           '+  "build": "NODE_OPTIONS=--max-old-space-size=4096 vite build",',
           "Give the build enough heap and split oversized chunks."),
    Family("not_a_function", "ImportMismatch",
           ("TypeError: (0 , _utils.{name}) is not a function",),
           ("TypeError: formatPrice is not a function (it is undefined) in src/lib/price.ts",),
           ("Uncaught TypeError: _api__WEBPACK_IMPORTED_MODULE_0__.default.get is not a function", 'TypeError: useRouter is not a function (imported as default from next/navigation)', 'TypeError: Object(...) is not a function at useDebounce (hooks/index.js)'),
           "match the import to the module's export: use a named import for a named export instead of the default",
           "-import formatDate from './utils';\n+import { formatDate } from './utils';",
           "Import what the module exports: named vs default."),
)

UNRELATED = (
    "Segmentation fault (core dumped) while running the image resize worker",
    "fatal: refusing to merge unrelated histories",
    "ORA-00942: table or view does not exist",
    "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)",
    "E: Unable to locate package libssl1.1",
    "terraform: Error acquiring the state lock: ConditionalCheckFailedException",
    "Back-off restarting failed container: CrashLoopBackOff in namespace payments",
    "xcodebuild: error: Unable to find a destination matching the provided destination specifier",
    "ssl.SSLCertVerificationError: certificate verify failed: unable to get local issuer certificate",
    "Gradle sync failed: Could not resolve com.android.tools.build:gradle:8.9.0",
    "Your Apple Developer Program membership has expired; provisioning profiles cannot be renewed",
    "LaTeX Error: File `tikz.sty' not found.",
    "CUDA error: device-side assert triggered while training the classifier",
    "Printer offline: the spooler service stopped unexpectedly",
    "ERROR 1045 (28000): Access denied for user 'root'@'localhost' (using password: YES)",
    "Bluetooth pairing failed: the headset rejected the connection",
    "panic: runtime error: index out of range [5] with length 5 in goroutine 42",
    "rustc: error[E0382]: borrow of moved value: `config`",
    "Excel: the formula contains a circular reference in cell B12",
    "Android: INSTALL_FAILED_INSUFFICIENT_STORAGE while installing the APK",
    "Unity: NullReferenceException in PlayerController.Update() on the scene load",
    "ffmpeg: Invalid data found when processing input video.mkv",
    "Windows Update failed with error 0x80070643 during the .NET runtime install",
    "SMTP 550 5.7.1 message rejected as spam by the receiving server",
)


def split_of(text: str) -> str:
    """`train` or `held_out`, by a hash of the text: a fixed, content-based split."""
    import hashlib

    return "train" if hashlib.sha256(text.encode()).digest()[0] % 2 == 0 else "held_out"


def _message(template: str, rng: random.Random) -> str:
    return template.format(name=rng.choice(TRACE_NAMES), file=rng.choice(TRACE_FILES))


def error_traces(per_family: int = 5, unresolved_per_family: int = 2, seed: int = 0) -> pl.DataFrame:
    """Error-recovery rows as `read_traces(lake, "error_recovery")` returns them."""
    rng = random.Random(seed)
    t0 = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
    rows = []
    for fi, family in enumerate(FAMILIES):
        others = [f for f in FAMILIES if f is not family]
        for n in range(per_family + unresolved_per_family):
            resolved = n < per_family
            wrong = rng.sample(others, 2)
            journey = [
                {"attempt": i + 1, "level": i + 1, "modelUsed": "m", "fixApplied": w.fix, "result": "failed", "timeTakenMs": 1000}
                for i, w in enumerate(wrong)
            ]
            fix = None
            if resolved:
                journey.append({"attempt": 3, "level": 3, "modelUsed": "m", "fixApplied": family.fix, "result": "fixed", "timeTakenMs": 900})
                fix = {"levelRequired": 3, "fixDescription": family.fix,
                       "codeDiff": f"--- a/{rng.choice(TRACE_FILES)}\n+++ b/x\n@@ -1,2 +1,3 @@\n{family.diff}",
                       "generalizablePattern": family.rule if rng.random() < 0.5 else None}
            error = {"type": family.type, "message": _message(rng.choice(family.trace), rng), "stackTrace": "",
                     "fileLocation": f"{rng.choice(TRACE_FILES)}:12:4"}
            rows.append({
                "error_id": f"err_{family.key}_{n}", "build_id": f"bld_{fi}_{n}",
                "error": json.dumps(error), "recovery_journey": json.dumps(journey),
                "successful_fix": json.dumps(fix) if fix else None,
                "created_at": t0 + dt.timedelta(hours=fi * 10 + n),
            })
    return pl.DataFrame(rows)


def queries(split: str) -> list[tuple[str, str]]:
    """(query text, the family whose fix is right) for `train` or `held_out`."""
    return [(q, f.key) for f in FAMILIES for q in (*f.queries_a, *f.queries_b) if split_of(q) == split]


def unrelated(split: str) -> list[str]:
    """Errors unlike anything in the library."""
    return [q for q in UNRELATED if split_of(q) == split]
