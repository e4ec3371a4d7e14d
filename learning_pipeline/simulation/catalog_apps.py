"""What users ask the builder to make: app kinds, features, tags and constraints."""

from __future__ import annotations




APP_KINDS = (
    # (name, primary context, souls, entity, audience, famous comparison)
    ("analytics dashboard", "dashboard", ("professional_trust", "utility_clarity", "developer_tools"), "Metric",
     "a growth team", "Mixpanel"),
    ("online store", "ecommerce", ("ecommerce_convert", "creative_canvas"), "Product", "an indie ceramics brand",
     "Shopify"),
    ("team chat", "realtime", ("social_connection", "utility_clarity"), "Message", "remote design teams", "Slack"),
    ("portfolio site", "landing_page", ("creative_canvas", "immersive_media"), "Project", "a motion designer",
     "Dribbble"),
    ("music streaming app", "react", ("immersive_media", "social_connection"), "Track", "bedroom producers",
     "Spotify"),
    ("game leaderboard", "realtime", ("gaming_energy",), "Player", "a speedrunning community", "Twitch"),
    ("API console", "dashboard", ("developer_tools",), "Endpoint", "backend developers", "Postman"),
    ("habit tracker", "react", ("utility_clarity", "social_connection"), "Habit", "students", "Streaks"),
    ("social feed", "react", ("social_connection", "immersive_media"), "Post", "local hiking clubs", "Instagram"),
    ("booking app", "ecommerce", ("professional_trust", "ecommerce_convert"), "Booking", "a physiotherapy clinic",
     "Calendly"),
    ("product launch page", "landing_page", ("immersive_media", "creative_canvas", "ecommerce_convert"), "Feature",
     "a hardware startup", "Linear"),
    ("live auction", "realtime", ("ecommerce_convert", "gaming_energy"), "Bid", "vintage car collectors", "eBay"),
)
# Features: (text, adds complexity?) — integrations are what make a build hard.
FEATURES = (
    ("role-based auth", True),
    ("Stripe checkout", True),
    ("realtime updates over websockets", True),
    ("image uploads", True),
    ("full-text search", True),
    ("offline support", True),
    ("i18n in three languages", True),
    ("CSV export", False),
    ("dark mode", False),
    ("charts with drill-down", False),
    ("email notifications", False),
    ("an onboarding tour", False),
    ("keyboard shortcuts", False),
    ("a settings page", False),
)
FLAVOR_TAGS = ("typescript", "tailwind", "vite", "nextjs", "supabase", "prisma", "mobile_first")
CONSTRAINTS = (
    "it must load in under two seconds on 4G",
    "keep it accessible (WCAG AA)",
    "no external UI kit",
    "it has to work on phones first",
    "deploy on Vercel",
)
