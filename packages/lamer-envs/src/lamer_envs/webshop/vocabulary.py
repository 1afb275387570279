"""Word lists the catalog generator draws from: product types per category.

Each :class:`ProductType` is one kind of product (its search query, category path,
title noun, option sets, attribute pool and price band). Everything is ASCII so that
observations stay inside the env's text space.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ProductType:
    """One kind of product in the generated catalog."""

    category: str
    """WebShop's coarse ``category`` label (e.g. ``"fashion"``)."""
    query: str
    """The search query the product was "scraped" with (WebShop's ``query``)."""
    noun: str
    """Title noun phrase, e.g. ``"Crew Neck T-Shirt"``."""
    path: str
    """Amazon-style category path joined by ' › '."""
    attributes: tuple[str, ...]
    """Pool of product attributes (lower case, as in WebShop's attribute file)."""
    options: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Option name -> the pool of values a product draws from."""
    price: tuple[float, float] = (10.0, 50.0)
    """Price band in dollars."""
    modifiers: tuple[str, ...] = ()
    """Words placed before the noun in titles (materials, styles)."""
    audience: tuple[str, ...] = ()
    """Optional "for ..." endings of titles."""


COLORS = (
    "black", "white", "navy", "gray", "red", "blue", "green", "beige", "brown", "pink",
    "olive", "burgundy", "khaki", "purple", "teal", "yellow", "orange", "ivory",
    "navy blue", "light gray", "dark green", "sky blue", "hot pink", "wine red",
)  # fmt: skip
APPAREL_SIZES = ("x-small", "small", "medium", "large", "x-large", "xx-large", "3x-large")
SHOE_SIZES = ("6", "6.5", "7", "7.5", "8", "8.5", "9", "9.5", "10", "10.5", "11", "12", "13")
PACKS = ("pack of 1", "pack of 2", "pack of 3", "pack of 4", "pack of 6", "pack of 12")

BRAND_HEADS = (
    "North", "Bright", "Silver", "Oak", "Maple", "River", "Stone", "Sun", "Blue", "Wild",
    "Cedar", "Iron", "Cloud", "Pine", "Harbor", "Swift", "True", "Lark", "Golden", "Ever",
    "Fox", "Bay", "Summit", "Prairie", "Coral", "Willow", "Amber", "Echo", "Nova", "Zen",
)  # fmt: skip
BRAND_TAILS = (
    "field", "way", "crest", "line", "wood", "haven", "peak", "works", "craft", "mark",
    "ridge", "well", "brook", "lane", "stead", "point", "gate", "vale", "ford", "land",
)  # fmt: skip

_F = "Clothing, Shoes & Jewelry"
_K = "Home & Kitchen"
_H = "Health & Household"
_B = "Beauty & Personal Care"
_G = "Grocery & Gourmet Food"
_E = "Electronics"

PRODUCT_TYPES: tuple[ProductType, ...] = (
    # -- fashion
    ProductType("fashion", "men's t-shirts", "Crew Neck T-Shirt", f"{_F} › Men › Clothing › Shirts › T-Shirts",
        ("machine wash", "short sleeve", "cotton blend", "relaxed fit", "tag free", "moisture wicking", "classic fit"),
        {"color": COLORS, "size": APPAREL_SIZES}, (9.0, 35.0), ("Heavyweight", "Soft", "Everyday", "Pocket"), ("for Men",)),
    ProductType("fashion", "women's dresses", "Midi Dress", f"{_F} › Women › Clothing › Dresses › Casual",
        ("machine wash", "short sleeve", "elastic waist", "polyester spandex", "button closure", "loose fit"),
        {"color": COLORS, "size": APPAREL_SIZES}, (19.0, 60.0), ("Floral", "Wrap", "V Neck", "Swing"), ("for Women",)),
    ProductType("fashion", "men's jeans", "Straight Leg Jeans", f"{_F} › Men › Clothing › Jeans",
        ("machine wash", "button closure", "stretch denim", "regular fit", "zipper fly"),
        {"color": ("dark indigo", "light blue", "black", "indigo", "vintage blue", "gray"),
         "size": ("28w x 30l", "30w x 30l", "32w x 30l", "32w x 32l", "34w x 32l", "36w x 32l", "38w x 34l")},
        (25.0, 70.0), ("Classic", "Slim", "Relaxed", "Workwear"), ("for Men",)),
    ProductType("fashion", "women's hoodies", "Pullover Hoodie", f"{_F} › Women › Clothing › Fashion Hoodies & Sweatshirts",
        ("machine wash", "long sleeve", "fleece lined", "drawstring closure", "kangaroo pocket"),
        {"color": COLORS, "size": APPAREL_SIZES}, (20.0, 55.0), ("Oversized", "Cropped", "Cozy", "Fleece"), ("for Women",)),
    # -- shoes
    ProductType("shoes", "men's running shoes", "Running Shoes", f"{_F} › Men › Shoes › Athletic › Running",
        ("rubber sole", "lace up", "breathable mesh", "arch support", "lightweight", "non slip"),
        {"color": COLORS, "size": SHOE_SIZES}, (35.0, 120.0), ("Road", "Trail", "Cushioned", "Knit"), ("for Men",)),
    ProductType("shoes", "women's sandals", "Flat Sandals", f"{_F} › Women › Shoes › Sandals › Flats",
        ("rubber sole", "open toe", "ankle strap", "memory foam", "faux leather"),
        {"color": COLORS, "size": SHOE_SIZES}, (15.0, 50.0), ("Strappy", "Slide", "Braided", "Comfort"), ("for Women",)),
    ProductType("shoes", "kids sneakers", "Sneakers", f"{_F} › Boys › Shoes › Sneakers",
        ("rubber sole", "hook and loop", "non slip", "easy on"),
        {"color": COLORS, "size": ("10 little kid", "11 little kid", "12 little kid", "13 little kid", "1 big kid", "2 big kid")},
        (20.0, 55.0), ("Light Up", "Canvas", "Play"), ("for Kids",)),
    # -- beauty
    ProductType("beauty", "matte lipstick", "Matte Lipstick", f"{_B} › Makeup › Lips › Lipstick",
        ("long lasting", "cruelty free", "paraben free", "highly pigmented", "vegan formula"),
        {"color": ("ruby", "berry", "mauve", "coral", "nude", "plum", "crimson", "rose"), "size": ("0.12 ounce", "0.15 ounce")},
        (6.0, 28.0), ("Velvet", "Liquid", "Creamy")),
    ProductType("beauty", "face moisturizer", "Daily Face Moisturizer", f"{_B} › Skin Care › Face › Creams & Moisturizers",
        ("fragrance free", "hyaluronic acid", "oil free", "sensitive skin", "dermatologist tested", "non comedogenic"),
        {"size": ("1.7 fl oz", "2.5 fl oz", "3.4 fl oz"), "item package quantity": PACKS[:3]},
        (8.0, 45.0), ("Hydrating", "Oil Control", "Night", "Gel")),
    ProductType("beauty", "shampoo", "Shampoo", f"{_B} › Hair Care › Shampoo & Conditioner › Shampoos",
        ("sulfate free", "color safe", "natural ingredients", "dry hair", "paraben free"),
        {"scent": ("coconut", "argan oil", "tea tree", "unscented", "citrus", "lavender"), "size": ("12 fl oz", "16 fl oz", "32 fl oz")},
        (7.0, 30.0), ("Moisturizing", "Volumizing", "Repair", "Clarifying")),
    # -- food
    ProductType("food", "ground coffee", "Ground Coffee", f"{_G} › Beverages › Coffee, Tea & Cocoa › Coffee › Ground Coffee",
        ("kosher certified", "rich flavor", "100% arabica", "fair trade", "whole bean alternative"),
        {"flavor name": ("medium roast", "dark roast", "breakfast blend", "french roast", "hazelnut", "decaf"),
         "size": ("12 ounce", "24 ounce", "2 pound")},
        (8.0, 35.0), ("Organic", "Small Batch", "House", "Single Origin")),
    ProductType("food", "protein bars", "Protein Bars", f"{_G} › Snack Foods › Bars › Protein Bars",
        ("gluten free", "high protein", "low sugar", "non gmo", "keto friendly"),
        {"flavor name": ("peanut butter", "chocolate chip", "cookie dough", "birthday cake", "almond", "mixed berry"),
         "size": ("12 count", "15 count", "24 count")},
        (12.0, 40.0), ("Plant Based", "Crunchy", "Chewy", "Whey")),
    ProductType("food", "green tea", "Green Tea Bags", f"{_G} › Beverages › Coffee, Tea & Cocoa › Tea › Green",
        ("caffeine free", "usda organic", "non gmo", "individually wrapped", "natural flavor"),
        {"flavor name": ("jasmine", "matcha", "honey ginger", "lemon", "mint", "original"), "size": ("20 count", "40 count", "100 count")},
        (4.0, 22.0), ("Organic", "Japanese", "Loose Leaf", "Premium")),
    ProductType("food", "olive oil", "Extra Virgin Olive Oil", f"{_G} › Pantry Staples › Cooking Oils › Olive",
        ("cold pressed", "first cold press", "non gmo", "glass bottle", "kosher certified"),
        {"size": ("16.9 fl oz", "25.3 fl oz", "33.8 fl oz", "1 gallon")}, (9.0, 45.0), ("Greek", "Italian", "Spanish", "Organic")),
    # -- electronics
    ProductType("electronics", "wireless earbuds", "Wireless Earbuds", f"{_E} › Headphones, Earbuds & Accessories › Earbuds",
        ("noise cancelling", "long battery life", "water resistant", "bluetooth 5.3", "fast charging", "built in microphone"),
        {"color": ("black", "white", "navy", "gray", "rose gold", "green")}, (19.0, 150.0), ("True Wireless", "Sport", "Compact", "Pro")),
    ProductType("electronics", "phone case", "Phone Case", f"{_E} › Cell Phones & Accessories › Cases, Holsters & Sleeves › Basic Cases",
        ("shockproof", "slim fit", "wireless charging compatible", "raised edges", "scratch resistant"),
        {"color": COLORS, "style": ("iphone 14", "iphone 14 pro", "iphone 15", "iphone 15 pro", "galaxy s23", "pixel 8")},
        (7.0, 30.0), ("Clear", "Rugged", "Silicone", "Leather")),
    ProductType("electronics", "usb c charger", "USB C Charger", f"{_E} › Computers & Accessories › Chargers & Adapters",
        ("fast charging", "foldable plug", "gan technology", "dual port", "overheat protection"),
        {"color": ("black", "white"), "style": ("20w", "30w", "45w", "65w", "100w")}, (10.0, 60.0), ("Compact", "Travel", "Wall")),
    ProductType("electronics", "hdmi cable", "HDMI Cable", f"{_E} › Television & Video › Accessories › Cables › HDMI Cables",
        ("high speed", "gold plated", "braided nylon", "4k hdr", "ethernet channel"),
        {"size": ("3 feet", "6 feet", "10 feet", "15 feet", "25 feet"), "item package quantity": PACKS[:3]},
        (6.0, 25.0), ("Ultra", "Premium", "Braided")),
    # -- furniture
    ProductType("furniture", "office chair", "Office Chair", f"{_K} › Furniture › Home Office Furniture › Home Office Chairs",
        ("lumbar support", "adjustable height", "mesh back", "swivel base", "easy assembly", "padded armrests"),
        {"color": ("black", "gray", "white", "blue", "pink")}, (60.0, 300.0), ("Ergonomic", "Executive", "Mid Back", "Task")),
    ProductType("furniture", "bookshelf", "Bookshelf", f"{_K} › Furniture › Living Room Furniture › Bookcases",
        ("easy assembly", "engineered wood", "metal frame", "space saving", "wall anchor"),
        {"color": ("walnut", "white", "black", "oak", "espresso", "rustic brown"), "size": ("3 tier", "4 tier", "5 tier")},
        (40.0, 180.0), ("Industrial", "Ladder", "Corner", "Open")),
    ProductType("furniture", "coffee table", "Coffee Table", f"{_K} › Furniture › Living Room Furniture › Tables › Coffee Tables",
        ("storage shelf", "easy assembly", "solid wood", "round top", "water resistant"),
        {"color": ("walnut", "white", "black", "oak", "natural", "gray")}, (50.0, 250.0), ("Mid Century", "Lift Top", "Farmhouse", "Glass")),
    # -- home
    ProductType("home", "bed sheets", "Bed Sheet Set", f"{_K} › Bedding › Sheets & Pillowcases › Sheet & Pillowcase Sets",
        ("deep pocket", "machine wash", "wrinkle resistant", "breathable cotton", "fade resistant"),
        {"color": COLORS, "size": ("twin", "twin xl", "full", "queen", "king", "california king")},
        (20.0, 90.0), ("Microfiber", "Egyptian Cotton", "Bamboo", "Percale")),
    ProductType("home", "scented candle", "Scented Candle", f"{_K} › Home Decor Products › Candles & Holders › Candles › Jar Candles",
        ("long burning", "soy wax", "lead free wick", "natural fragrance", "gift ready"),
        {"scent": ("vanilla", "lavender", "sea salt", "fresh linen", "cinnamon", "eucalyptus"), "size": ("8 oz", "14 oz", "22 oz")},
        (9.0, 40.0), ("Large Jar", "Two Wick", "Travel Tin", "Aromatherapy")),
    ProductType("home", "bath towels", "Bath Towel Set", f"{_K} › Bath › Towels › Bath Towels",
        ("quick dry", "highly absorbent", "machine wash", "100% cotton", "soft touch"),
        {"color": COLORS, "item package quantity": ("pack of 2", "pack of 4", "pack of 6", "pack of 8")},
        (15.0, 60.0), ("Luxury", "Hotel", "Turkish Cotton", "Waffle")),
    # -- kitchen
    ProductType("kitchen", "nonstick frying pan", "Nonstick Frying Pan", f"{_K} › Kitchen & Dining › Cookware › Pots & Pans › Skillets",
        ("dishwasher safe", "oven safe", "pfoa free", "induction compatible", "stay cool handle"),
        {"size": ("8 inch", "10 inch", "12 inch"), "color": ("black", "gray", "red", "blue")}, (15.0, 70.0), ("Ceramic", "Granite", "Hard Anodized")),
    ProductType("kitchen", "water bottle", "Insulated Water Bottle", f"{_K} › Kitchen & Dining › Storage & Organization › Travel & To-Go Food Containers",
        ("bpa free", "leak proof", "double wall", "keeps cold 24 hours", "dishwasher safe"),
        {"color": COLORS, "size": ("18 oz", "24 oz", "32 oz", "40 oz")}, (12.0, 45.0), ("Stainless Steel", "Sports", "Wide Mouth")),
    ProductType("kitchen", "food storage containers", "Food Storage Containers", f"{_K} › Kitchen & Dining › Storage & Organization › Food Storage",
        ("bpa free", "microwave safe", "airtight lids", "freezer safe", "stackable design"),
        {"size": ("10 piece", "18 piece", "24 piece", "36 piece")}, (14.0, 45.0), ("Glass", "Plastic", "Meal Prep")),
    # -- garden
    ProductType("garden", "garden hose", "Expandable Garden Hose", f"{_K} › Patio, Lawn & Garden › Watering Equipment › Garden Hoses",
        ("leak proof", "lightweight", "brass fittings", "kink free", "spray nozzle included"),
        {"size": ("25 ft", "50 ft", "75 ft", "100 ft"), "color": ("green", "blue", "black")}, (18.0, 60.0), ("Heavy Duty", "Flexible", "Retractable")),
    ProductType("garden", "solar lights", "Solar Pathway Lights", f"{_K} › Patio, Lawn & Garden › Outdoor Lighting › Pathway Lights",
        ("waterproof", "auto on off", "warm white light", "easy installation", "long lasting"),
        {"item package quantity": ("pack of 4", "pack of 6", "pack of 8", "pack of 12"), "color": ("black", "silver", "bronze")},
        (15.0, 55.0), ("Outdoor", "Landscape", "Decorative")),
    ProductType("garden", "plant pots", "Ceramic Plant Pots", f"{_K} › Patio, Lawn & Garden › Gardening & Lawn Care › Pots, Planters & Container Accessories",
        ("drainage hole", "saucer included", "indoor outdoor", "glazed finish"),
        {"size": ("4 inch", "6 inch", "8 inch", "10 inch"), "color": ("white", "terracotta", "sage green", "black", "speckled")},
        (12.0, 50.0), ("Modern", "Minimalist", "Set of 3")),
    # -- pet
    ProductType("pet", "dog bed", "Orthopedic Dog Bed", "Pet Supplies › Dogs › Beds & Furniture › Beds",
        ("machine washable cover", "non slip bottom", "memory foam", "waterproof liner", "raised edges"),
        {"size": ("small", "medium", "large", "x-large"), "color": ("gray", "brown", "navy", "beige")}, (25.0, 110.0), ("Bolster", "Calming", "Plush")),
    ProductType("pet", "cat litter", "Clumping Cat Litter", "Pet Supplies › Cats › Litter & Housebreaking › Litter",
        ("odor control", "low dust", "unscented", "multi cat", "easy scoop"),
        {"size": ("14 lb", "20 lb", "28 lb", "40 lb")}, (10.0, 35.0), ("Natural", "Clay", "Lightweight")),
    ProductType("pet", "dog treats", "Dog Training Treats", "Pet Supplies › Dogs › Treats › Cookies, Biscuits & Snacks",
        ("grain free", "made in usa", "natural ingredients", "high protein", "soft and chewy"),
        {"flavor name": ("chicken", "beef", "salmon", "peanut butter", "bacon"), "size": ("6 ounce", "12 ounce", "24 ounce")},
        (6.0, 28.0), ("Mini", "Freeze Dried", "Savory")),
    # -- toys
    ProductType("toys", "building blocks", "Building Blocks Set", "Toys & Games › Building Toys › Building Sets",
        ("stem learning", "non toxic", "ages 6 and up", "storage box included", "compatible with major brands"),
        {"size": ("300 pieces", "500 pieces", "1000 pieces")}, (15.0, 70.0), ("Creative", "City", "Classic", "Space")),
    ProductType("toys", "jigsaw puzzle", "Jigsaw Puzzle", "Toys & Games › Puzzles › Jigsaw Puzzles",
        ("thick pieces", "poster included", "anti glare", "family friendly"),
        {"size": ("500 pieces", "1000 pieces", "1500 pieces"), "style": ("landscape", "animals", "map", "cityscape", "abstract")},
        (10.0, 35.0), ("Colorful", "Challenging", "Vintage")),
    ProductType("toys", "plush toy", "Stuffed Animal Plush Toy", "Toys & Games › Stuffed Animals & Plush Toys › Plush Figures",
        ("super soft", "machine wash", "gift for kids", "hypoallergenic filling"),
        {"style": ("bear", "bunny", "dinosaur", "unicorn", "puppy", "penguin"), "size": ("8 inch", "12 inch", "18 inch")},
        (9.0, 35.0), ("Cuddly", "Giant", "Weighted")),
    # -- sports
    ProductType("sports", "yoga mat", "Yoga Mat", "Sports & Outdoors › Exercise & Fitness › Yoga › Mats",
        ("non slip", "extra thick", "carrying strap", "eco friendly", "sweat resistant"),
        {"color": COLORS, "size": ("1/4 inch", "1/3 inch", "1/2 inch")}, (15.0, 60.0), ("Premium", "Travel", "Cork", "Alignment")),
    ProductType("sports", "camping tent", "Camping Tent", "Sports & Outdoors › Outdoor Recreation › Camping & Hiking › Tents & Shelters › Tents",
        ("waterproof", "easy setup", "rainfly included", "carry bag", "mesh windows"),
        {"size": ("2 person", "4 person", "6 person", "8 person"), "color": ("green", "gray", "orange", "blue")}, (45.0, 250.0), ("Dome", "Instant", "Backpacking", "Cabin")),
    ProductType("sports", "resistance bands", "Resistance Bands Set", "Sports & Outdoors › Exercise & Fitness › Strength Training Equipment › Resistance Bands",
        ("door anchor", "latex free", "carry bag", "exercise guide", "heavy duty"),
        {"style": ("light", "medium", "heavy", "x-heavy", "set of 5")}, (10.0, 40.0), ("Fabric", "Loop", "Tube")),
    # -- health
    ProductType("health", "electric toothbrush", "Electric Toothbrush", f"{_H} › Oral Care › Toothbrushes & Accessories › Power Toothbrushes",
        ("rechargeable", "pressure sensor", "two minute timer", "long battery life", "travel case"),
        {"color": ("black", "white", "pink", "blue", "mint")}, (20.0, 120.0), ("Sonic", "Oscillating", "Whitening")),
    ProductType("health", "vitamin d3", "Vitamin D3 Softgels", f"{_H} › Vitamins, Minerals & Supplements › Vitamins › Vitamin D",
        ("gluten free", "non gmo", "third party tested", "easy to swallow", "immune support"),
        {"size": ("60 count", "120 count", "240 count", "360 count")}, (8.0, 30.0), ("High Potency", "Daily", "Extra Strength")),
    ProductType("health", "first aid kit", "First Aid Kit", f"{_H} › Health Care › First Aid › First Aid Kits",
        ("compact size", "water resistant case", "emergency blanket", "fda approved"),
        {"size": ("100 piece", "200 piece", "300 piece")}, (12.0, 45.0), ("Travel", "Home", "Outdoor", "Workplace")),
    # -- office
    ProductType("office", "ballpoint pens", "Ballpoint Pens", "Office Products › Office & School Supplies › Writing & Correction Supplies › Pens & Refills › Ballpoint Pens",
        ("smooth writing", "quick drying ink", "comfort grip", "retractable"),
        {"color": ("black", "blue", "red", "assorted"), "item package quantity": ("pack of 12", "pack of 24", "pack of 36")},
        (5.0, 22.0), ("Medium Point", "Fine Point", "Gel")),
    ProductType("office", "spiral notebook", "Spiral Notebook", "Office Products › Office & School Supplies › Paper › Notebooks & Writing Pads › Wirebound Notebooks",
        ("college ruled", "thick paper", "perforated pages", "durable cover"),
        {"size": ("70 sheets", "100 sheets", "160 sheets"), "item package quantity": ("pack of 1", "pack of 3", "pack of 6")},
        (4.0, 25.0), ("Classic", "Subject", "Kraft Cover")),
    ProductType("office", "desk lamp", "LED Desk Lamp", "Office Products › Office Furniture & Lighting › Office Lighting › Desk Lamps",
        ("eye caring", "dimmable", "usb charging port", "touch control", "adjustable arm"),
        {"color": ("black", "white", "silver", "gray")}, (18.0, 60.0), ("Architect", "Clamp", "Foldable")),
    # -- baby
    ProductType("baby", "baby diapers", "Baby Diapers", "Baby Products › Diapering › Disposable Diapers",
        ("hypoallergenic", "wetness indicator", "fragrance free", "leak protection", "soft and breathable"),
        {"size": ("newborn", "size 1", "size 2", "size 3", "size 4", "size 5"), "size count": ("84 count", "124 count", "168 count")},
        (18.0, 55.0), ("Overnight", "Sensitive", "Premium")),
    ProductType("baby", "baby bottles", "Baby Bottles", "Baby Products › Feeding › Bottle-Feeding › Baby Bottles",
        ("bpa free", "anti colic", "easy to clean", "slow flow nipple"),
        {"size": ("4 oz", "8 oz", "9 oz"), "item package quantity": ("pack of 2", "pack of 3", "pack of 4")}, (10.0, 40.0), ("Natural", "Wide Neck", "Glass")),
    ProductType("baby", "swaddle blankets", "Swaddle Blankets", "Baby Products › Nursery › Bedding › Blankets & Swaddling › Swaddling Blankets",
        ("muslin cotton", "breathable fabric", "machine wash", "gets softer after washing"),
        {"style": ("animals", "stars", "floral", "solid", "stripes"), "item package quantity": ("pack of 2", "pack of 3", "pack of 4")},
        (12.0, 40.0), ("Organic", "Bamboo", "Lightweight")),
    # -- automotive
    ProductType("automotive", "car phone mount", "Car Phone Mount", "Automotive › Interior Accessories › Cell Phone Mounts",
        ("one touch release", "strong suction", "360 degree rotation", "universal fit"),
        {"style": ("console", "air vent", "cup holder", "windshield")}, (10.0, 40.0), ("Magnetic", "Wireless", "Heavy Duty")),
    ProductType("automotive", "car seat covers", "Car Seat Covers", "Automotive › Interior Accessories › Seat Covers & Accessories › Seat Covers",
        ("universal fit", "waterproof", "airbag compatible", "easy installation", "faux leather"),
        {"color": ("black", "gray", "beige", "red", "blue"), "style": ("front seats", "full set")}, (25.0, 120.0), ("Breathable", "Sport", "Luxury")),
    ProductType("automotive", "tire inflator", "Portable Tire Inflator", "Automotive › Tools & Equipment › Air Compressors & Inflators",
        ("digital gauge", "auto shut off", "led light", "12v dc"), {"style": ("corded", "cordless")}, (25.0, 80.0), ("Compact", "Rechargeable", "Heavy Duty")),
)  # fmt: skip

INSTRUCTION_TEMPLATES = (
    "i am looking for {query} that {verb} {attributes}",
    "i need {query} that {verb} {attributes}",
    "find me {attributes} {query}",
    "i want to buy {query} which {verb} {attributes}",
    "i'm searching for {attributes} {query}",
)
"""Templates of the base instruction (WebShop's ``instruction`` field); the goal adds
the options and the price ceiling."""

HUMAN_INSTRUCTION_TEMPLATES = (
    "i need {query} in {options} that {verb} {attributes}",
    "i am looking for {attributes} {query}, {options}",
    "can you find me {query} that {verb} {attributes}? i want {options}",
    "get me {options} {query}, it should be {attributes}",
)
"""Templates of human-style instructions (WebShop's ``items_human_ins.json``): the
wanted option values are written into the sentence."""

BULLET_TEMPLATES = (
    "{attribute}: designed for everyday use and built to last",
    "{attribute} - a detail our customers ask for again and again",
    "{attribute} for extra comfort and peace of mind",
    "Made with care: {attribute}, checked before it ships",
)
"""How an attribute becomes a feature bullet; the attribute text is kept verbatim so
WebShop's substring fallback finds it."""

REVIEW_TITLES = ("Great value", "Works as described", "Would buy again", "Not bad", "Exceeded expectations", "Decent quality")  # fmt: skip
REVIEW_BODIES = (
    "Arrived quickly and does exactly what I needed.",
    "Good quality for the price; the size was as expected.",
    "My family uses it every day and it still looks new.",
    "It is fine, though I expected a little more for the money.",
    "Better than the one I had before. Easy to recommend.",
)  # fmt: skip
