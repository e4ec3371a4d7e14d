"""The error families: message, the correct fix and level, the wrong fixes builders try."""

from __future__ import annotations

from typing import Any


# needs, wrong fixes the builder tries, a diff of the correct fix and a generalizable pattern.
# Error catalog: type -> message, where it happens, the correct fix, the escalation level it
ERROR_TYPES: dict[str, dict[str, Any]] = {
    "TypeError": {
        "message": "TypeError: Cannot read properties of undefined (reading 'map')",
        "languages": ("tsx",),
        "level": 1,
        "fix": "guard the optional data with a loading state and default to an empty array before mapping",
        "wrong": ('add optional chaining with an extra check at each property access and hide the list when the data fails', 'wrap the render in a try/catch block and return null from the component when anything throws', 'add a ts-ignore comment above the failing line and ship the list without a loading check'),
        "wrong_diffs": ('-  return items.map((item) => <Row key={item.id} item={item} />);\n+  return items?.map((item) => <Row key={item?.id} item={item} />) ?? null;', '+  try {\n+    return items.map((item) => <Row key={item.id} item={item} />);\n+  } catch { return null; }', '+  // @ts-ignore\n   return items.map((item) => <Row key={item.id} item={item} />);'),
        "diff": ("-  return items.map((item) => <Row key={item.id} item={item} />);\n"
                 "+  if (loading) return <Skeleton />;\n"
                 "+  return (items ?? []).map((item) => <Row key={item.id} item={item} />);"),
        "pattern": "Guard async data with explicit loading/empty states before rendering collections.",
    },
    "ModuleNotFound": {
        "message": "Module not found: Error: Can't resolve '@/components/ui/card'",
        "languages": ("tsx", "ts"),
        "level": 1,
        "fix": "add the missing path alias to tsconfig paths and the bundler resolve.alias",
        "wrong": ('delete node_modules and the lockfile, then run an install of each dependency from scratch', 'rewrite the import as a long relative path in this one file and leave the alias broken', 'install a package called card from npm and import the component from that package'),
        "wrong_diffs": ('+# rm -rf node_modules package-lock.json && npm install', "-import { Card } from '@/components/ui/card';\n+import { Card } from '../../../components/ui/card';", '+    "card": "^1.0.0",'),
        "diff": ('+    "paths": { "@/*": ["./src/*"] },\n+  resolve: { alias: { "@": path.resolve(__dirname, "src") } },'),
        "pattern": "Keep path aliases declared once in tsconfig and mirrored in the bundler config.",
    },
    "HydrationMismatch": {
        "message": "Error: Hydration failed because the initial UI does not match what was rendered on the server.",
        "languages": ("tsx",),
        "level": 2,
        "fix": "move Date and Math.random rendering into a mount effect so server and client render the same markup",
        "wrong": ('add suppressHydrationWarning to the root element and keep rendering the time on the server', 'disable server rendering for the whole app with an ssr flag and render in the client', 'wrap the component in a setTimeout and render nothing until the timer has fired'),
        "wrong_diffs": ('-<html lang="en">\n+<html lang="en" suppressHydrationWarning>', "+export const dynamic = 'force-dynamic';\n+const App = dynamic(() => import('./App'), { ssr: false });", '+  setTimeout(() => setReady(true), 0);\n+  if (!ready) return null;'),
        "diff": ("-  const now = new Date().toLocaleTimeString();\n"
                 "+  const [now, setNow] = useState<string | null>(null);\n"
                 "+  useEffect(() => setNow(new Date().toLocaleTimeString()), []);"),
        "pattern": "Render non-deterministic values only after mount.",
    },
    "CORSError": {
        "message": ("Access to fetch at 'https://api.internal.dev/v1/items' from origin 'http://localhost:5173' "
                    "has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present."),
        "languages": ("ts", "js", "py"),
        "level": 2,
        "fix": "configure the API's CORS middleware with the app origin and route browser calls through it",
        "wrong": ('set mode no-cors on the fetch call and read the opaque response as if it were JSON', 'install a browser extension that disables CORS and test the app only in that browser', 'set Access-Control-Allow-Origin to a wildcard together with credentials for each route'),
        "wrong_diffs": ("-  const res = await fetch(url);\n+  const res = await fetch(url, { mode: 'no-cors' });", "+# install the 'Allow CORS' browser extension for local testing", "+app.use(cors({ origin: '*', credentials: true }));"),
        "diff": ('+app.use(cors({ origin: process.env.APP_ORIGIN, credentials: true }));'),
        "pattern": "Allow the exact app origin on the API instead of weakening the browser.",
    },
    "TS2322": {
        "message": "TS2322: Type 'string | undefined' is not assignable to type 'string'.",
        "languages": ("tsx", "ts"),
        "level": 1,
        "fix": "narrow the value by checking for undefined and make the prop optional in the interface",
        "wrong": ('cast the value with as any at the call site and keep the prop required in the interface', 'add a ts-expect-error comment above the assignment and move on with the string type', 'turn off strict mode in tsconfig with an override and let optional values flow through unchecked'),
        "wrong_diffs": ('-  const title: string = props.title;\n+  const title = props.title as any;', '+  // @ts-expect-error\n   const title: string = props.title;', '-    "strict": true,\n+    "strict": false,'),
        "diff": ("-  title: string;\n+  title?: string;\n+  if (title === undefined) return null;"),
        "pattern": "Narrow optional values at the boundary instead of casting.",
    },
    "MaxUpdateDepth": {
        "message": ("Error: Maximum update depth exceeded. This can happen when a component calls setState "
                    "inside useEffect without a dependency array."),
        "languages": ("tsx",),
        "level": 2,
        "fix": "derive the filtered list during render with useMemo on its inputs instead of syncing state",
        "wrong": ('wrap the setState call in a setTimeout and let the render loop settle on its own', 'add a module-level flag to skip every second render and keep the state sync as is', 'convert the component to a class component and call setState from the render method'),
        "wrong_diffs": ('-  setFiltered(items.filter(match));\n+  setTimeout(() => setFiltered(items.filter(match)), 0);', '+let skip = false;\n+  if ((skip = !skip)) setFiltered(items.filter(match));', '-function List({ items }) {\n+class List extends React.Component {'),
        "diff": ("-  setFiltered(items.filter(match));\n+  const filtered = useMemo(() => items.filter(match), [items, match]);"),
        "pattern": "Derive state with useMemo instead of syncing it with setState.",
    },
    "EnvVarMissing": {
        "message": "Error: Missing required environment variable DATABASE_URL",
        "languages": ("ts", "js", "py"),
        "level": 3,
        "fix": "declare the variable in .env.example and load it through a validated config module at startup",
        "wrong": ('hard-code the connection string in the source file and commit it with the rest of the code', 'default the variable to an empty string in the config and let the driver fail later', 'catch the connection error at startup and continue serving requests without a database'),
        "wrong_diffs": ('+const DATABASE_URL = "postgres://app@localhost:5432/app";', '+const DATABASE_URL = process.env.DATABASE_URL ?? "";', "+try { await db.connect(); } catch { console.warn('no database'); }"),
        "diff": ('+export const config = z.object({ DATABASE_URL: z.string().url() }).parse(process.env);'),
        "pattern": "Validate configuration once at startup and fail fast with a clear message.",
    },
    "AuthTokenExpired": {
        "message": "HTTPError: 401 Unauthorized: jwt expired",
        "languages": ("ts", "js", "py"),
        "level": 3,
        "fix": "refresh the session token in the fetch wrapper and retry the request once",
        "wrong": ('increase the token lifetime to one year in the auth config and skip the refresh logic', 'remove the auth check from the route and rely on the client to hide private data', 'log the user out with an error toast at each 401 response and send them back to sign in'),
        "wrong_diffs": ('-  expiresIn: "15m",\n+  expiresIn: "365d",', "-router.get('/items', requireAuth, list);\n+router.get('/items', list);", '+  if (res.status === 401) { session.logout(); return; }'),
        "diff": ("+  if (res.status === 401 && !retried) {\n+    await session.refresh();\n"
                 "+    return request(path, init, true);\n+  }"),
        "pattern": "Centralise token refresh in the API client with a single retry.",
    },
    "MigrationDrift": {
        "message": "Error: P3006 Drift detected: Your database schema is not in sync with your migration history.",
        "languages": ("ts", "py"),
        "level": 3,
        "fix": "generate a new migration from the current schema instead of editing applied migrations",
        "wrong": ('edit the applied migration file in place and rerun it against the shared database', 'reset the production database and replay every migration from the very first one', 'delete the migrations folder and let the ORM push the schema directly to the database'),
        "wrong_diffs": ("-ALTER TABLE items ADD COLUMN status TEXT;\n+ALTER TABLE items ADD COLUMN status TEXT NOT NULL DEFAULT 'draft';", '+-- npx prisma migrate reset --force (production)', '+-- rm -rf prisma/migrations && npx prisma migrate dev'),
        "diff": ("+-- migration 20260114_add_status_column\n+ALTER TABLE items ADD COLUMN status TEXT NOT NULL DEFAULT 'draft';"),
        "pattern": "Never edit applied migrations; add a forward migration.",
    },
    "SocketMemoryLeak": {
        "message": ("MaxListenersExceededWarning: Possible EventEmitter memory leak detected. "
                    "11 message listeners added to [Socket]."),
        "languages": ("tsx", "ts"),
        "level": 4,
        "fix": "unsubscribe the socket listener in the effect cleanup and share a single connection through context",
        "wrong": ('raise the max listeners limit of the socket to one hundred and silence the warning', 'reconnect the socket on every render and attach a fresh message listener each time', 'reload the page every five minutes and let the browser drop the old listeners'),
        "wrong_diffs": ('+socket.setMaxListeners(100);', '-  const socket = useSocket();\n+  const socket = io(API_URL);', '+setInterval(() => window.location.reload(), 5 * 60 * 1000);'),
        "diff": ("+  useEffect(() => {\n+    socket.on('message', onMessage);\n"
                 "+    return () => { socket.off('message', onMessage); };\n+  }, [socket, onMessage]);"),
        "pattern": "Every subscription made in an effect is released in its cleanup.",
    },
    "BuildOutOfMemory": {
        "message": "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
        "languages": ("ts", "js"),
        "level": 4,
        "fix": "split the bundle with dynamic imports for the heavy chart and editor modules",
        "wrong": ('raise the Node heap limit to sixteen gigabytes in the build script and rerun the build', 'disable source maps and minification in the bundler config and rebuild everything', 'remove TypeScript from the build and ship plain JavaScript files without type checks'),
        "wrong_diffs": ('-    "build": "vite build",\n+    "build": "NODE_OPTIONS=--max-old-space-size=16384 vite build",', '-    sourcemap: true,\n+    sourcemap: false, minify: false,', '-    "typescript": "^5.6.0",'),
        "diff": ("-import { Editor } from './Editor';\n+const Editor = lazy(() => import('./Editor'));"),
        "pattern": "Load heavy modules lazily at route boundaries.",
    },
    "PythonKeyError": {
        "message": "KeyError: 'items'",
        "languages": ("py",),
        "level": 1,
        "fix": "validate the upstream payload with a typed model and handle the empty response explicitly",
        "wrong": ('wrap the access in a bare except clause and return None when the key is missing', 'retry the request in a loop until the payload contains the items key and then parse it', 'print the payload to the log and move on with an empty list of rows for the page'),
        "wrong_diffs": ('-    rows = payload["items"]\n+    try:\n+        rows = payload["items"]\n+    except:\n+        return None', '+    for _ in range(5):\n+        payload = fetch_page()', '+    print(payload)\n     rows = payload.get("items", [])'),
        "diff": ('-    rows = payload["items"]\n+    rows = Page.model_validate(payload).items'),
        "pattern": "Parse external payloads into typed models at the boundary.",
    },
}

# How an attempt's description starts (the same for right and wrong fixes).
LEADS = ("", "In {file}: ", "For the {entity} view: ", "Level {level}: ", "Next try: ")
# Unchanged code around a hunk, per file family. Every recorded attempt (right or wrong) is
# filled with context to a length drawn the same way for all (see `ErrorRecoverySteps`), as a
# real unified diff carries context, so size says nothing about merit. The lines (code and the
# comments beside it) use the everyday words of the fixes too, so that no single word tells a
# right fix from a wrong one: what does is what the fix does.
DIFF_CONTEXT = {
    "ts": ("  const [state, setState] = useState(initialState);", "  const { data, isLoading } = useQuery(key, load);",
           "export function handler(req: Request): Promise<Response> {", "  const config = loadConfig();",
           "  return <Layout title={title}>{children}</Layout>;", "import { useEffect, useMemo, useState } from \"react\";",
           "  // keep in sync with the server contract", "}", "  if (!session) return null;",
           "  let retries = 0;", "  const controller = new AbortController();", "  // runs on every request that goes through the client",
           "  // an empty response maps to an empty list", "  // called from the effect after the first render",
           "  const path = new URL(request.url).pathname;", "  // move this into the shared module once it settles",
           "import { api } from \"@/lib/api\";", "  // the cleanup runs when the component unmounts",
           "  if (error) throw error;", "  // set by the auth middleware on each route"),
    "py": ("def handle(request: Request) -> Response:", "    settings = load_settings()", "    log.info(\"page %s\", page)",
           "from app.models import Page", "    return Response(body, status=200)", "    # keep in sync with the API contract",
           "    if payload is None:", "        return None", "    # runs on every page the worker fetches",
           "    # an empty response maps to an empty list", "import httpx", "    session = new_session(settings)",
           "    # move this into the shared client once it settles", "    path = request.url.path",
           "    # called from the scheduler through the sync entry point", "    for row in rows:"),
}
# Every attempt's text (description and diff with context) reaches a length drawn from this range.
ATTEMPT_CHARS = (560, 760)
