"""Synthetic national data: a valid park of many sites, for testing and benchmarking at scale.

Sites cluster around Danish industrial towns (more and wider around the larger ones),
their sectors follow a national mix (many farms, workshops, building firms and shops, few
power stations, refineries and cement works), and each sector has its typical supply and
demand streams, with sizes drawn around typical values. The same seed gives the same park.

On request a park also gets a port operator at each of its port towns, rail sidings at
some sites, and free plots: a subdivided estate at each town, the plots next to the quay
at a port town; and :func:`write_national` writes a national dataset of parks, one per
cluster of towns. Every such figure is synthetic, and says so in its ``reference``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.cluster.vq import kmeans2

from symbionet.errors import Problem, SymbionetError
from symbionet.register.catalogue import default_catalogue
from symbionet.register.io import RawPark, RawTable
from symbionet.register.park import Park, build_park
from symbionet.register.schema import tables

# Town, latitude, longitude, weight (share of sites), spread (km), port.
TOWNS = pd.read_csv(
    io.StringIO(
        """town,lat,lon,weight,km,port
København,55.676,12.568,14,12,true
Aarhus,56.157,10.211,9,9,true
Odense,55.404,10.402,6,7,true
Aalborg,57.048,9.919,6,7,true
Esbjerg,55.476,8.459,4,6,true
Vejle,55.709,9.536,3,5,true
Kolding,55.490,9.472,3,5,true
Fredericia,55.566,9.752,3,4,true
Horsens,55.861,9.850,3,5,true
Randers,56.461,10.036,3,5,true
Herning,56.136,8.977,3,6,false
Silkeborg,56.170,9.545,2,5,false
Roskilde,55.642,12.080,2,5,true
Næstved,55.230,11.761,2,5,true
Kalundborg,55.680,11.090,1,3,true
Holstebro,56.360,8.616,2,5,false
Viborg,56.453,9.402,2,5,false
Slagelse,55.403,11.355,2,5,false
Holbæk,55.717,11.713,1,4,true
Hjørring,57.464,9.982,1,5,false
Frederikshavn,57.441,10.537,1,4,true
Sønderborg,54.909,9.792,1,4,true
Aabenraa,55.044,9.418,1,4,true
Svendborg,55.059,10.607,1,4,true
Nyborg,55.312,10.789,1,3,true
Skive,56.567,9.027,1,4,true
Grenaa,56.416,10.879,1,3,true
Thisted,56.957,8.694,1,4,true
Haderslev,55.249,9.489,1,4,false
Nakskov,54.831,11.136,1,3,true
"""
    )
)
PORT_KM = 3.0  # sites this close to a port town's centre may lie at its port

# Sectors (NACE class) and their share of sites.
SECTORS = pd.read_csv(
    io.StringIO(
        """nace,name,kind,weight
01.11,Arable farm,company,12
01.46,Pig farm,company,8
01.13,Greenhouse,company,1.5
10.13,Meat processing,company,3
10.51,Dairy,company,1.5
11.05,Brewery,company,0.5
16.10,Sawmill,company,2
17.12,Paper mill,company,0.2
19.20,Oil refinery,company,0.03
20.14,Organic chemicals,company,0.8
21.20,Pharmaceuticals,company,0.3
22.22,Plastic products,company,2
23.13,Glassworks,company,0.1
23.51,Cement works,company,0.03
23.62,Plasterboard plant,company,0.03
24.10,Steelworks,company,0.03
25.11,Metal workshop,company,7
35.11,Power station,utility,0.08
35.30,District heating plant,utility,1.2
35.21,Biogas plant,company,0.4
36.00,Water works,utility,0.8
37.00,Wastewater treatment plant,utility,1
38.21,Waste-to-energy plant,utility,0.1
38.32,Recycling plant,company,0.6
41.20,Construction company,company,9
47.11,Supermarket,company,9
63.11,Data centre,company,0.3
"""
    ),
    dtype={"nace": str},
)

# Each sector's typical streams: median yearly amount in the resource's canonical unit,
# chance that a site has the stream, baseline route (fate or source), quality, profile.
TEMPLATES = pd.read_csv(
    io.StringIO(
        """nace,direction,resource,median,chance,route,quality,profile
01.11,supply,straw,800,0.8,,,
01.11,demand,mineral_n_fertiliser,40,0.95,mineral_fertiliser,,
01.11,demand,mineral_p_fertiliser,6,0.7,market,,
01.11,demand,groundwater,30000,0.8,groundwater,,
01.11,demand,gas_oil,40,0.8,market,,
01.11,demand,electricity,150,0.9,grid,,
01.11,demand,wood_pellets,30,0.5,market,,
01.46,supply,manure,8000,0.95,land_spreading,,
01.46,demand,feed_protein,600,0.9,market,,
01.46,demand,mineral_n_fertiliser,15,0.6,mineral_fertiliser,,
01.46,demand,groundwater,20000,0.8,groundwater,,
01.46,demand,electricity,300,0.9,grid,,
01.46,demand,straw,150,0.6,market,,
01.46,supply,low_temp_heat,400,0.5,cooling,temperature_c=25,
01.13,demand,co2,1500,0.9,market,,
01.13,demand,district_heat,8000,0.9,natural_gas_boiler,temperature_c=60,heating
01.13,demand,electricity,4000,0.9,grid,,
01.13,demand,groundwater,25000,0.8,groundwater,,
01.13,supply,food_waste,300,0.5,incineration,,
10.13,supply,industrial_wastewater,80000,0.95,discharge,temperature_c=30;ppm_cod=3000,
10.13,supply,food_waste,3000,0.8,incineration,,
10.13,supply,low_temp_heat,4000,0.6,cooling,temperature_c=35,
10.13,demand,steam_lp,15000,0.7,natural_gas_boiler,,
10.13,demand,drinking_water,120000,0.9,utility_water,,
10.13,demand,electricity,6000,0.9,grid,,
10.51,supply,industrial_wastewater,200000,0.95,discharge,temperature_c=25;ppm_cod=2000,
10.51,supply,food_waste,5000,0.7,anaerobic_digestion,,
10.51,supply,low_temp_heat,10000,0.7,cooling,temperature_c=40,
10.51,demand,steam_mp,40000,0.9,natural_gas_boiler,,
10.51,demand,drinking_water,300000,0.9,utility_water,,
10.51,demand,chilled_water,8000,0.5,electric_chiller,temperature_c=6,cooling
11.05,supply,yeast_slurry,3000,0.9,land_spreading,,
11.05,supply,co2,2000,0.7,,,
11.05,supply,industrial_wastewater,150000,0.9,discharge,ppm_cod=2500,
11.05,demand,steam_lp,20000,0.9,natural_gas_boiler,,
11.05,demand,drinking_water,200000,0.95,utility_water,,
16.10,supply,waste_wood,4000,0.9,incineration,,
16.10,supply,wood_chips,8000,0.7,sold,,
16.10,demand,hot_water,5000,0.8,oil_boiler,temperature_c=70,
16.10,demand,electricity,2000,0.9,grid,,
16.10,demand,gas_oil,100,0.6,market,,
17.12,demand,paper_cardboard,80000,0.9,market,,
17.12,demand,steam_mp,250000,0.95,natural_gas_boiler,pressure_bar=10,
17.12,supply,industrial_sludge,15000,0.8,landfill,,
17.12,supply,low_temp_heat,40000,0.8,cooling,temperature_c=45,
17.12,demand,surface_water,2000000,0.7,surface_water_intake,,
19.20,supply,refinery_gas,200000,0.9,flare,,
19.20,supply,sulphur,20000,0.9,sold,,
19.20,supply,hot_water,150000,0.8,cooling,temperature_c=100,
19.20,supply,cooling_water_return,2000000,0.8,sea_discharge,,
19.20,demand,steam_mp,500000,0.9,natural_gas_boiler,pressure_bar=12,
19.20,demand,hydrogen,15000,0.7,market,,
19.20,demand,demin_water,300000,0.9,demin_plant,,
19.20,demand,cooling_water,3000000,0.5,seawater_intake,ppm_cod=30,
20.14,supply,co2,40000,0.6,,,
20.14,supply,spent_solvent,1500,0.7,hazardous_treatment,,
20.14,supply,hot_water,20000,0.6,cooling,temperature_c=85,
20.14,demand,steam_mp,100000,0.9,natural_gas_boiler,pressure_bar=10,
20.14,demand,solvent,1000,0.6,market,,
20.14,demand,demin_water,100000,0.8,demin_plant,,
21.20,supply,fermentation_biomass,50000,0.7,land_spreading,,
21.20,supply,industrial_wastewater,500000,0.95,discharge,temperature_c=22;ppm_cod=1500,
21.20,demand,steam_mp,120000,0.95,natural_gas_boiler,pressure_bar=8,
21.20,demand,drinking_water,500000,0.9,utility_water,,
21.20,demand,chilled_water,20000,0.7,electric_chiller,temperature_c=6,cooling
22.22,demand,virgin_plastic,3000,0.9,market,,
22.22,supply,plastics,250,0.9,incineration,,
22.22,supply,low_temp_heat,2000,0.5,cooling,temperature_c=35,
22.22,demand,electricity,5000,0.95,grid,,
23.13,demand,glass_batch,100000,0.9,market,,
23.13,supply,flue_gas_heat,30000,0.8,cooling,temperature_c=250,
23.13,demand,natural_gas,150000,0.9,market,,
23.13,demand,electricity,30000,0.9,grid,,
23.51,demand,cement_clinker,200000,0.9,market,,
23.51,demand,coal,100000,0.8,market,,
23.51,demand,aggregates,50000,0.5,market,,
23.51,supply,flue_gas_heat,150000,0.9,cooling,temperature_c=300,
23.51,demand,electricity,100000,0.9,grid,,
23.62,demand,natural_gypsum,150000,0.95,market,purity=0.95,
23.62,demand,natural_gas,50000,0.9,market,,
23.62,supply,construction_waste,5000,0.6,landfill,,
23.62,demand,electricity,10000,0.9,grid,,
24.10,demand,scrap_steel,500000,0.9,market,,
24.10,supply,steel_slag,100000,0.9,landfill,,
24.10,supply,flue_gas_heat,100000,0.8,cooling,temperature_c=200,
24.10,demand,electricity,300000,0.9,grid,,
24.10,demand,natural_gas,200000,0.8,market,,
25.11,supply,scrap_steel,400,0.9,recycling_market,,
25.11,supply,scrap_aluminium,40,0.5,recycling_market,,
25.11,supply,used_oil,10,0.6,hazardous_treatment,,
25.11,demand,natural_gas,1000,0.6,market,,
25.11,demand,electricity,800,0.95,grid,,
25.11,demand,drinking_water,1000,0.6,utility_water,,
25.11,demand,district_heat,300,0.7,district_heating_network,temperature_c=60,heating
25.11,supply,low_temp_heat,200,0.4,cooling,temperature_c=40,
35.11,supply,district_heat,300000,0.9,cooling,temperature_c=90,heating
35.11,supply,steam_mp,200000,0.6,cooling,pressure_bar=16,
35.11,supply,fly_ash,60000,0.4,landfill,,
35.11,supply,fgd_gypsum,50000,0.4,landfill,,
35.11,supply,biomass_ash,8000,0.6,landfill,,
35.11,supply,flue_gas_condensate,60000,0.6,discharge,,
35.11,demand,wood_chips,300000,0.7,market,,
35.11,demand,surface_water,800000,0.6,surface_water_intake,,
35.11,demand,cooling_water,5000000,0.4,seawater_intake,ppm_cod=60,
35.30,demand,district_heat,80000,0.95,natural_gas_boiler,temperature_c=75,heating
35.30,demand,wood_chips,20000,0.5,market,,
35.30,supply,biomass_ash,500,0.4,landfill,,
35.30,demand,electricity,3000,0.8,grid,,
35.21,demand,manure,150000,0.95,market,,
35.21,demand,food_waste,20000,0.7,market,,
35.21,supply,biomethane,6000000,0.9,sold,,
35.21,supply,digestate,160000,0.95,land_spreading,,
35.21,supply,co2,6000,0.5,,,
36.00,supply,drinking_water,1500000,0.9,sold,,
36.00,demand,groundwater,1500000,0.8,groundwater,,
36.00,demand,electricity,800,0.9,grid,,
37.00,supply,treated_effluent,3000000,0.95,sea_discharge,ppm_cod=40;temperature_c=14,
37.00,supply,sewage_sludge,5000,0.9,incineration,,
37.00,supply,low_temp_heat,30000,0.6,cooling,temperature_c=14,
37.00,demand,industrial_wastewater,500000,0.6,,,
37.00,demand,electricity,3000,0.9,grid,,
38.21,supply,district_heat,400000,0.95,cooling,temperature_c=90,heating
38.21,supply,incinerator_bottom_ash,60000,0.95,landfill,,
38.21,supply,steam_mp,100000,0.4,cooling,pressure_bar=12,
38.21,demand,rdf,50000,0.6,market,,
38.21,demand,waste_wood,30000,0.5,market,,
38.32,demand,plastics,5000,0.6,market,,
38.32,demand,paper_cardboard,5000,0.5,market,,
38.32,supply,rdf,6000,0.8,,,
38.32,supply,glass_cullet,3000,0.5,recycling_market,,
38.32,demand,used_oil,3000,0.3,market,,
41.20,supply,construction_waste,2500,0.9,landfill,,
41.20,demand,aggregates,4000,0.9,market,,
41.20,demand,gas_oil,60,0.9,market,,
41.20,supply,waste_wood,150,0.6,incineration,,
41.20,demand,electricity,100,0.8,grid,,
41.20,demand,drinking_water,500,0.5,utility_water,,
41.20,demand,district_heat,200,0.5,district_heating_network,temperature_c=60,heating
47.11,supply,food_waste,150,0.95,incineration,,
47.11,supply,paper_cardboard,100,0.95,recycling_market,,
47.11,supply,plastics,25,0.8,incineration,,
47.11,supply,low_temp_heat,600,0.6,cooling,temperature_c=30,
47.11,demand,electricity,1000,0.95,grid,,
47.11,demand,drinking_water,2000,0.8,utility_water,,
47.11,demand,district_heat,500,0.7,district_heating_network,temperature_c=60,heating
63.11,supply,low_temp_heat,60000,0.95,cooling,temperature_c=35,
63.11,demand,electricity,120000,0.95,grid,,
63.11,demand,chilled_water,40000,0.6,electric_chiller,temperature_c=12,
"""
    ),
    dtype={"nace": str},
    keep_default_na=False,
)

# Monthly shares: heating follows Danish heating degree days; cooling peaks in summer.
PROFILES = {
    "heating": [16, 14, 12, 8, 5, 3, 2, 2, 4, 8, 12, 14],
    "cooling": [4, 4, 6, 8, 10, 12, 14, 14, 10, 7, 6, 5],
}
SPREAD = 0.8  # standard deviation of the log of stream sizes around the sector's median
RAIL_SHARE = 0.05  # share of sites with a rail siding
ESTATE_COLUMNS = 3  # plots side by side along the estate's road
PLOT_M = 150.0  # distance between the centres of neighbouring plots
ESTATE_KM = 2.0  # the estate lies this far east of the town centre
ZONES = ("heavy industry", "light industry", "port")
PRICE_EUR_M2 = (30.0, 90.0)  # synthetic range of industrial land prices, EUR per m2
SYNTHETIC = "synthetic (symbionet generate)"
_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})  # for park keys


def _ids(prefix: str, count: int, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(1, count + 1).astype(str), width))


def _quality(templates: pd.DataFrame) -> pd.DataFrame:
    """The templates' quality cells ("temperature_c=90;ppm_cod=40") as numeric columns."""
    cells = [
        dict(
            (name, float(number)) for name, number in (pair.split("=") for pair in text.split(";"))
        )
        if text
        else {}
        for text in templates["quality"]
    ]
    return pd.DataFrame(cells, index=templates.index)


def _offset(lat: np.ndarray, lon: np.ndarray, north_km: np.ndarray, east_km: np.ndarray) -> tuple:
    """Points ``north_km`` and ``east_km`` from (``lat``, ``lon``), in degrees."""
    return lat + north_km / 111.2, lon + east_km / (111.2 * np.cos(np.radians(lat)))


def _estates(towns: pd.DataFrame, per_town: int, rng: np.random.Generator) -> pd.DataFrame:
    """Free plots: an estate of ``per_town`` plots east of each town, in rows of
    ``ESTATE_COLUMNS`` along a road, each adjacent to its neighbours; at a port town the
    first row lies at the quay."""
    count = len(towns) * per_town
    town = np.repeat(np.arange(len(towns)), per_town)
    place = np.tile(np.arange(per_town), len(towns))
    row, column = place // ESTATE_COLUMNS, place % ESTATE_COLUMNS
    lat, lon = _offset(
        towns["lat"].to_numpy()[town],
        towns["lon"].to_numpy()[town],
        row * PLOT_M / 1000,
        ESTATE_KM + column * PLOT_M / 1000,
    )
    ids = _ids("plot", count, 4)
    first = town * per_town
    neighbours = np.stack(
        [
            np.where(column > 0, first + place - 1, -1),
            np.where((column < ESTATE_COLUMNS - 1) & (place + 1 < per_town), first + place + 1, -1),
            np.where(row > 0, first + place - ESTATE_COLUMNS, -1),
            np.where(place + ESTATE_COLUMNS < per_town, first + place + ESTATE_COLUMNS, -1),
        ]
    )
    named = pd.DataFrame(np.where(neighbours >= 0, ids[np.maximum(neighbours, 0)], "").T)
    joined = named[0].str.cat([named[i] for i in range(1, 4)], sep=";")
    adjacent = joined.str.replace(";;+", ";", regex=True).str.strip(";")
    quay = towns["port"].to_numpy()[town] & (row == 0)
    area = np.round(rng.uniform(5_000, 50_000, count), -2)
    return pd.DataFrame(
        {
            "id": ids,
            "name": "Estate " + towns["town"].to_numpy()[town] + " " + (place + 1).astype(str),
            "lat": lat.round(5),
            "lon": lon.round(5),
            "area_m2": area,
            "zoning": np.where(quay, ZONES[2], np.where(row % 2 == 0, ZONES[0], ZONES[1])),
            "price": np.round(rng.uniform(*PRICE_EUR_M2, count), 1),
            "adjacent": adjacent.to_numpy(),
            "port": quay,
            "reference": SYNTHETIC,
        }
    )


def _port_operators(towns: pd.DataFrame, first: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An actor and a site at the quay of each port town (NACE 52.22: water transport services)."""
    ports = towns[towns["port"]]
    ids = np.char.add("port", np.arange(first, first + len(ports)).astype(str))
    actors = pd.DataFrame(
        {
            "id": ids,
            "name": "Port of " + ports["town"].to_numpy(),
            "kind": "company",
            "nace": "52.22",
        }
    )
    sites = pd.DataFrame(
        {
            "id": ids,
            "actor": ids,
            "lat": ports["lat"].to_numpy(),
            "lon": ports["lon"].to_numpy(),
            "port": True,
            "rail": True,
            "reference": SYNTHETIC + ": the town centre's coordinates",
        }
    )
    return actors, sites


def generate_tables(
    sites: int,
    seed: int = 0,
    *,
    towns: pd.DataFrame = TOWNS,
    plots: int = 0,
    ports: bool = False,
) -> dict[str, pd.DataFrame]:
    """The tables of a synthetic park of ``sites`` sites, one actor each, around ``towns``;
    with ``ports`` a port operator at each port town and rail sidings at some sites, and
    ``plots`` free plots at each town."""
    rng = np.random.default_rng(seed)
    weights = towns["weight"].to_numpy(dtype=float)
    town = rng.choice(len(towns), size=sites, p=weights / weights.sum())
    spread = np.clip(rng.normal(size=(sites, 2)), -2.5, 2.5)  # no far-flung outliers
    offset_km = spread * towns["km"].to_numpy()[town, None]
    centre = towns[["lat", "lon"]].to_numpy()[town]
    lat, lon = _offset(centre[:, 0], centre[:, 1], offset_km[:, 0], offset_km[:, 1])
    at_port = towns["port"].to_numpy()[town] & (np.hypot(*offset_km.T) < PORT_KM)
    port = at_port & (rng.random(sites) < 0.5)
    shares = SECTORS["weight"].to_numpy(dtype=float)
    sector = rng.choice(len(SECTORS), size=sites, p=shares / shares.sum())
    site_ids, actor_ids = _ids("site", sites, 6), _ids("a", sites, 6)
    names = SECTORS["name"].to_numpy()[sector] + " " + towns["town"].to_numpy()[town]
    actors = pd.DataFrame(
        {
            "id": actor_ids,
            "name": names + " " + np.arange(1, sites + 1).astype(str),
            "kind": SECTORS["kind"].to_numpy()[sector],
            "nace": SECTORS["nace"].to_numpy()[sector],
        }
    )
    site_table = pd.DataFrame(
        {"id": site_ids, "actor": actor_ids, "lat": lat.round(5), "lon": lon.round(5), "port": port}
    )
    templates = TEMPLATES.assign(
        order=TEMPLATES["nace"].map(SECTORS.reset_index().set_index("nace")["index"])
    )
    templates = templates.sort_values("order", kind="stable").reset_index(drop=True)
    counts = np.bincount(templates["order"], minlength=len(SECTORS))
    starts = np.cumsum(counts) - counts
    site_of = np.repeat(np.arange(sites), counts[sector])
    first = np.repeat(np.cumsum(counts[sector]) - counts[sector], counts[sector])
    template = starts[sector][site_of] + np.arange(len(site_of)) - first
    kept = rng.random(len(template)) < templates["chance"].to_numpy()[template]
    site_of, template = site_of[kept], template[kept]
    rows = templates.iloc[template].reset_index(drop=True)
    amount = rows["median"].to_numpy() * np.exp(rng.normal(0.0, SPREAD, len(rows)))
    supply = rows["direction"] == "supply"
    units = {key: entry.unit + "/yr" for key, entry in default_catalogue().resources.items()}
    streams = pd.DataFrame(
        {
            "id": _ids("s", len(rows), 7),
            "site": site_ids[site_of],
            "direction": rows["direction"],
            "resource": rows["resource"],
            "quantity": amount.round(1),
            "unit": rows["resource"].map(units),
            "fate": rows["route"].where(supply, ""),
            "source": rows["route"].where(~supply, ""),
            "profile": rows["profile"],
        }
    )
    streams = pd.concat(
        [streams, _quality(templates).iloc[template].reset_index(drop=True)], axis=1
    )
    profiles = pd.DataFrame({"period": range(1, 13), **PROFILES})
    meta = {"name": f"Synthetic Denmark: {sites} sites, seed {seed}", "country": "DK"}
    frames = {"actors": actors, "sites": site_table, "streams": streams, "profiles": profiles}
    extra = np.random.default_rng([seed, 1])  # the draws above stay as they were
    if ports:
        site_table["rail"] = extra.random(sites) < RAIL_SHARE
        operators, quays = _port_operators(towns, 1)
        frames["actors"] = pd.concat([actors, operators], ignore_index=True)
        frames["sites"] = pd.concat([site_table, quays], ignore_index=True)
    if plots:
        frames["plots"] = _estates(towns, plots, extra)
    return {"park": pd.DataFrame([meta]), **frames}


def generate_park(
    sites: int, seed: int = 0, *, towns: pd.DataFrame = TOWNS, plots: int = 0, ports: bool = False
) -> Park:
    """A synthetic park of ``sites`` sites, validated like any park read from files (see
    :func:`generate_tables` for the options)."""
    frames = generate_tables(sites, seed, towns=towns, plots=plots, ports=ports)
    raw = {
        name: RawTable(
            name,
            tables()[name].file,
            frame.astype(object).where(frame.notna(), "").astype(str),
            list(range(2, len(frame) + 2)),
        )
        for name, frame in frames.items()
        if name != "park"
    }
    return build_park(RawPark("generated", frames["park"].iloc[0].to_dict(), "park.yaml", raw))


def town_clusters(parks: int) -> np.ndarray:
    """The cluster (0 to ``parks`` - 1) of each town: k-means on the towns' positions,
    started from the ``parks`` largest towns (every cluster keeps at least one town, for
    1 to 30 parks)."""
    if not 1 <= parks <= len(TOWNS):
        raise ValueError(f"parks must be 1 to {len(TOWNS)}, not {parks}")
    lat = TOWNS["lat"].to_numpy()
    points = np.column_stack([lat, TOWNS["lon"].to_numpy() * np.cos(np.radians(lat))])
    order = np.argsort(-TOWNS["weight"].to_numpy(), kind="stable")
    _, labels = kmeans2(points, points[order[:parks]], minit="matrix")
    return np.unique(labels, return_inverse=True)[1].astype(np.int64)


def _national_target(target: Path, force: bool) -> None:
    """Refuse to write over anything but a national dataset, and over one without ``force``."""
    refused = None
    if target.exists() and not target.is_dir():
        refused = "exists and is not a folder"
    elif target.exists() and any(target.iterdir()):
        if not (target / "national.yaml").is_file():
            refused = "holds files that are not a national dataset: not overwritten"
        elif not force:
            refused = "is a national dataset already: it is replaced only with force"
    if refused:
        raise SymbionetError([Problem(str(target), None, None, refused)])


def write_national(
    out: Path | str, parks: int, sites: int, seed: int = 0, plots: int = 6, force: bool = False
) -> dict[str, Park]:
    """Write a national dataset of ``parks`` synthetic parks, one per cluster of towns, with
    ``sites`` sites in all (shared by the towns' weights), port operators, rail sidings and
    ``plots`` free plots per town: ``national.yaml`` and one park folder each. A national
    dataset already there is replaced only with ``force`` (its parks of the same names
    replaced, ``national.yaml`` naming the new ones)."""
    target = Path(out)
    _national_target(target, force)
    cluster = town_clusters(parks)
    weights = np.bincount(cluster, TOWNS["weight"].to_numpy(dtype=float))
    counts = np.maximum(1, np.floor(sites * weights / weights.sum())).astype(int)
    counts[np.argmax(weights)] += sites - counts.sum()
    written = {}
    for k in range(parks):
        towns = TOWNS[cluster == k].reset_index(drop=True)
        main = towns.loc[towns["weight"].idxmax(), "town"]
        key = re.sub(r"[^a-z0-9]+", "-", str(main).lower().translate(_DANISH))
        park = generate_park(int(counts[k]), seed + k, towns=towns, plots=plots, ports=True)
        park.meta["name"] = f"Synthetic {main} region"
        park.meta["description"] = f"{SYNTHETIC}: towns {', '.join(towns['town'])}"
        park.save(target / key, force=force)
        written[key] = park
    national = {
        "name": f"Synthetic Denmark: {parks} parks, {sites} sites, seed {seed}",
        "description": SYNTHETIC,
        "country": "DK",
        "currency": "EUR",
        "parks": list(written),
    }
    (target / "national.yaml").write_text(
        yaml.safe_dump(national, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return written


__all__ = [
    "ESTATE_COLUMNS",
    "PORT_KM",
    "PROFILES",
    "SECTORS",
    "SPREAD",
    "TEMPLATES",
    "TOWNS",
    "generate_park",
    "generate_tables",
    "town_clusters",
    "write_national",
]
