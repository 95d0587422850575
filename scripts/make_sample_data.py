"""Writes the demo's CSVs into sample_data/: seeded, so every run gives the same bytes.

    python scripts/make_sample_data.py [--out sample_data]

sales.csv      ~5,000 orders over 2023-2024 (region, product, category, channel, prices)
customers.csv  the customers those orders name (segment, country, signup date)
targets.csv    a revenue target per region and year
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
from pathlib import Path

SEED = 20240101
ORDERS = 5_000
CUSTOMERS = 400
REGIONS = ("North", "South", "East", "West")
REGION_WEIGHTS = (0.32, 0.24, 0.26, 0.18)
CHANNELS = ("Online", "Retail", "Partner")
CHANNEL_WEIGHTS = (0.5, 0.35, 0.15)
PRODUCTS = {  # product: (category, list price)
    "Laptop Pro 14": ("Computers", 1899.0),
    "Laptop Air 13": ("Computers", 1199.0),
    "Desktop Tower": ("Computers", 1399.0),
    "4K Monitor 27": ("Displays", 449.0),
    "Monitor 24": ("Displays", 189.0),
    "Wireless Mouse": ("Accessories", 39.0),
    "Mechanical Keyboard": ("Accessories", 119.0),
    "USB-C Dock": ("Accessories", 229.0),
    "Noise-Cancelling Headphones": ("Audio", 299.0),
    "Bluetooth Speaker": ("Audio", 129.0),
    "Office Suite Licence": ("Software", 149.0),
    "Antivirus 1-Year": ("Software", 59.0),
    "Setup Service": ("Services", 99.0),
    "Extended Warranty": ("Services", 179.0),
}
SEGMENTS = ("Consumer", "Small Business", "Enterprise")
COUNTRIES = {
    "North": ("Norway", "Sweden", "Finland", "Denmark"),
    "South": ("Spain", "Italy", "Portugal", "Greece"),
    "East": ("Poland", "Czechia", "Hungary", "Romania"),
    "West": ("France", "Ireland", "Netherlands", "Belgium"),
}
FIRST = [
    "Anna",
    "Ben",
    "Carla",
    "David",
    "Emma",
    "Felix",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Klara",
    "Lukas",
    "Mia",
    "Noah",
    "Olga",
    "Pablo",
    "Rosa",
    "Sven",
    "Tara",
    "Ulla",
    "Victor",
    "Wiebke",
    "Xavier",
    "Yara",
    "Zoe",
]
LAST = [
    "Andersen",
    "Berg",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Horvat",
    "Ivanova",
    "Jansen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Novak",
    "Olsen",
    "Petrov",
    "Rossi",
    "Silva",
    "Toth",
    "Urban",
    "Vidal",
    "Weber",
    "Young",
    "Zeman",
]


def _customers(rng: random.Random) -> list[dict]:
    rows = []
    start = dt.date(2021, 1, 1)
    for number in range(1, CUSTOMERS + 1):
        region = rng.choices(REGIONS, REGION_WEIGHTS)[0]
        rows.append(
            {
                "customer_id": f"C{number:04d}",
                "customer_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "segment": rng.choices(SEGMENTS, (0.55, 0.3, 0.15))[0],
                "country": rng.choice(COUNTRIES[region]),
                "region": region,
                "signup_date": (start + dt.timedelta(days=rng.randrange(1000))).isoformat(),
            }
        )
    return rows


def _orders(rng: random.Random, customers: list[dict]) -> list[dict]:
    first, days = dt.date(2023, 1, 1), 731
    products = list(PRODUCTS)
    rows = []
    for _ in range(ORDERS):
        day = first + dt.timedelta(days=int(rng.triangular(0, days - 1, days * 0.8)))
        customer = rng.choice(customers)
        product = rng.choice(products)
        category, price = PRODUCTS[product]
        unit_price = round(price * rng.uniform(0.85, 1.05), 2)
        quantity = 1 + int(rng.expovariate(0.6)) if category != "Services" else 1
        rows.append(
            {
                "order_id": 0,
                "order_date": day.isoformat(),
                "region": customer["region"],
                "product": product,
                "category": category,
                "channel": rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0],
                "quantity": quantity,
                "unit_price": f"{unit_price:.2f}",
                "revenue": f"{unit_price * quantity:.2f}",
                "customer_id": customer["customer_id"],
            }
        )
    rows.sort(key=lambda row: row["order_date"])
    for number, row in enumerate(rows, start=100001):
        row["order_id"] = number
    return rows


def _targets(orders: list[dict]) -> list[dict]:
    """Targets near the actual revenue, so 'which regions beat their target' is interesting."""
    actual: dict[tuple[str, int], float] = {}
    for row in orders:
        key = (row["region"], int(row["order_date"][:4]))
        actual[key] = actual.get(key, 0.0) + float(row["revenue"])
    factors = {"North": 0.95, "South": 1.08, "East": 0.9, "West": 1.04}
    return [
        {"region": region, "year": year, "target": int(round(total * factors[region], -3))}
        for (region, year), total in sorted(actual.items())
    ]


def _write(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parents[1] / "sample_data")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    customers = _customers(rng)
    orders = _orders(rng, customers)
    _write(
        args.out / "customers.csv",
        [{k: v for k, v in c.items() if k != "region"} for c in customers],
    )
    _write(args.out / "sales.csv", orders)
    _write(args.out / "targets.csv", _targets(orders))
    for name in ("sales.csv", "customers.csv", "targets.csv"):
        print(f"{args.out / name}: {(args.out / name).stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
