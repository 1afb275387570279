"""Facts about ALFRED's household types that scene generation needs.

- which object types a receptacle type accepts (ALFRED's compatibility table, restricted
  to the types our rooms use);
- what can be done to each object type (ALFRED's action-object sets);
- which receptacles and objects each room kind holds, and how many.

Room make-ups are our own choice, shaped after ALFRED's floor plans (kitchens always
have a fridge, microwave, sink basin and four stove burners; bathrooms have a toilet and
towel holders; ...).
"""

from __future__ import annotations

from dataclasses import dataclass

ROOM_KINDS = ("Kitchen", "LivingRoom", "Bedroom", "Bathroom")

#: First ALFRED floor-plan number of each room kind (plans run base+1 .. base+30).
FLOORPLAN_BASE = {"Kitchen": 0, "LivingRoom": 200, "Bedroom": 300, "Bathroom": 400}

OPENABLE_RECEPTACLES = frozenset({"Cabinet", "Drawer", "Fridge", "Microwave", "Safe"})

LAMP_TYPES = ("DeskLamp", "FloorLamp")


@dataclass(frozen=True, slots=True)
class ObjectKind:
    """What the domain lets an agent do with an object type."""

    receptacle_object: bool = False
    cleanable: bool = False
    heatable: bool = False
    coolable: bool = False
    sliceable: bool = False


_FOOD = ObjectKind(cleanable=True, heatable=True, coolable=True, sliceable=True)
_DISH = ObjectKind(receptacle_object=True, cleanable=True, heatable=True, coolable=True)
_COOKWARE = ObjectKind(receptacle_object=True, cleanable=True, coolable=True)
_WASHABLE = ObjectKind(cleanable=True)
_PLAIN = ObjectKind()

OBJECT_KINDS: dict[str, ObjectKind] = {
    "Apple": _FOOD,
    "Egg": _FOOD,
    "Potato": _FOOD,
    "Tomato": _FOOD,
    "Bread": ObjectKind(heatable=True, coolable=True, sliceable=True),
    "Lettuce": ObjectKind(cleanable=True, coolable=True, sliceable=True),
    "Cup": _DISH,
    "Mug": _DISH,
    "Plate": _DISH,
    "Bowl": _COOKWARE,
    "Pan": _COOKWARE,
    "Pot": _COOKWARE,
    "Box": ObjectKind(receptacle_object=True),
    "WineBottle": ObjectKind(coolable=True),
    **{
        name: _WASHABLE
        for name in (
            "ButterKnife",
            "Cloth",
            "DishSponge",
            "Fork",
            "Kettle",
            "Knife",
            "Ladle",
            "SoapBar",
            "Spatula",
            "Spoon",
        )
    },
    **{
        name: _PLAIN
        for name in (
            "AlarmClock",
            "BaseballBat",
            "BasketBall",
            "Book",
            "CD",
            "Candle",
            "CellPhone",
            "CreditCard",
            "Glassbottle",
            "HandTowel",
            "KeyChain",
            "Laptop",
            "Newspaper",
            "Pen",
            "Pencil",
            "PepperShaker",
            "Pillow",
            "Plunger",
            "RemoteControl",
            "SaltShaker",
            "SoapBottle",
            "SprayBottle",
            "Statue",
            "TennisRacket",
            "TissueBox",
            "ToiletPaper",
            "Towel",
            "Vase",
            "Watch",
            "WateringCan",
        )
    },
}

_SMALL_DESK_THINGS = (
    "AlarmClock",
    "Book",
    "Bowl",
    "Box",
    "CD",
    "Candle",
    "CellPhone",
    "CreditCard",
    "KeyChain",
    "Laptop",
    "Mug",
    "Newspaper",
    "Pen",
    "Pencil",
    "Plate",
    "RemoteControl",
    "Statue",
    "TissueBox",
    "Vase",
    "Watch",
    "WateringCan",
)
_KITCHEN_SURFACE_THINGS = (
    "Apple",
    "Bowl",
    "Bread",
    "ButterKnife",
    "Cup",
    "DishSponge",
    "Egg",
    "Fork",
    "Kettle",
    "Knife",
    "Ladle",
    "Lettuce",
    "Mug",
    "Pan",
    "PepperShaker",
    "Plate",
    "Pot",
    "Potato",
    "SaltShaker",
    "SoapBottle",
    "Spatula",
    "Spoon",
    "Tomato",
    "WineBottle",
)
_BATH_THINGS = (
    "Candle",
    "Cloth",
    "DishSponge",
    "HandTowel",
    "SoapBar",
    "SoapBottle",
    "SprayBottle",
    "TissueBox",
    "ToiletPaper",
)

#: Receptacle type -> object types it accepts.
CAN_CONTAIN: dict[str, frozenset[str]] = {
    "ArmChair": frozenset(
        {"Book", "Box", "CellPhone", "Cloth", "CreditCard", "KeyChain", "Laptop"}
        | {"Newspaper", "Pillow", "RemoteControl"}
    ),
    "BathtubBasin": frozenset({"Cloth", "DishSponge", "HandTowel", "SoapBar"}),
    "Bed": frozenset(
        {"BaseballBat", "BasketBall", "Book", "CellPhone", "Laptop", "Pillow", "TennisRacket"}
    ),
    "Cabinet": frozenset(
        {"Book", "Bowl", "Box", "CD", "Candle", "Cloth", "Cup", "DishSponge", "Glassbottle"}
        | {"HandTowel", "Kettle", "Ladle", "Mug", "Pan", "PepperShaker", "Plate", "Plunger"}
        | {"Pot", "SaltShaker", "SoapBar", "SoapBottle", "SprayBottle", "TissueBox"}
        | {"ToiletPaper", "Vase", "WineBottle"}
    ),
    "Cart": frozenset(set(_BATH_THINGS) | {"Plunger"}),
    "CoffeeMachine": frozenset({"Mug"}),
    "CoffeeTable": frozenset(set(_SMALL_DESK_THINGS) - {"Mug"}),
    "CounterTop": frozenset(
        set(_KITCHEN_SURFACE_THINGS)
        | {"Book", "Candle", "Cloth", "Glassbottle", "HandTowel", "Pen", "SoapBar"}
        | {"SprayBottle", "Statue", "TissueBox", "ToiletPaper", "Vase"}
    ),
    "Desk": frozenset(set(_SMALL_DESK_THINGS) | {"BasketBall", "Cloth", "TennisRacket"}),
    "DiningTable": frozenset(
        set(_KITCHEN_SURFACE_THINGS) | set(_SMALL_DESK_THINGS) | {"TennisRacket"}
    ),
    "Drawer": frozenset(
        {"Book", "ButterKnife", "CD", "Candle", "CellPhone", "Cloth", "CreditCard"}
        | {"DishSponge", "Fork", "HandTowel", "KeyChain", "Knife", "Ladle", "Newspaper"}
        | {"Pen", "Pencil", "PepperShaker", "RemoteControl", "SaltShaker", "SoapBar"}
        | {"SoapBottle", "Spatula", "Spoon", "SprayBottle", "TissueBox", "ToiletPaper"}
        | {"Watch", "WateringCan"}
    ),
    "Dresser": frozenset(set(_SMALL_DESK_THINGS) | {"BasketBall", "Cloth", "TennisRacket"}),
    "Fridge": frozenset(
        {"Apple", "Bowl", "Bread", "Cup", "Egg", "Glassbottle", "Lettuce", "Mug", "Pan"}
        | {"Plate", "Pot", "Potato", "Tomato", "WineBottle"}
    ),
    "GarbageCan": frozenset(
        {"Apple", "Bread", "CD", "Cloth", "DishSponge", "Egg", "HandTowel", "Lettuce"}
        | {"Newspaper", "Pen", "Pencil", "Potato", "SoapBar", "SoapBottle", "SprayBottle"}
        | {"TissueBox", "ToiletPaper", "Tomato", "WineBottle"}
    ),
    "HandTowelHolder": frozenset({"HandTowel"}),
    "LaundryHamper": frozenset({"Cloth"}),
    "Microwave": frozenset(
        {"Apple", "Bowl", "Bread", "Cup", "Egg", "Glassbottle", "Mug", "Plate", "Potato"}
        | {"Tomato"}
    ),
    "Ottoman": frozenset(
        {"Box", "CellPhone", "CreditCard", "KeyChain", "Laptop", "Pillow", "RemoteControl"}
    ),
    "Safe": frozenset({"CD", "CellPhone", "CreditCard", "KeyChain", "Statue", "Vase", "Watch"}),
    "Shelf": frozenset(
        set(_SMALL_DESK_THINGS)
        | set(_BATH_THINGS)
        | {"Cup", "Glassbottle", "Kettle", "PepperShaker", "Pot", "SaltShaker", "WineBottle"}
    ),
    "SideTable": frozenset(
        set(_SMALL_DESK_THINGS)
        | set(_KITCHEN_SURFACE_THINGS)
        | set(_BATH_THINGS)
        | {"TennisRacket"}
    ),
    "SinkBasin": frozenset(
        {"Apple", "Bowl", "ButterKnife", "Cloth", "Cup", "DishSponge", "Egg", "Fork"}
        | {"Glassbottle", "HandTowel", "Kettle", "Knife", "Ladle", "Lettuce", "Mug", "Pan"}
        | {"Plate", "Pot", "Potato", "SoapBar", "Spatula", "Spoon", "Tomato"}
    ),
    "Sofa": frozenset(
        {"Box", "CellPhone", "CreditCard", "KeyChain", "Laptop", "Newspaper", "Pillow"}
        | {"RemoteControl"}
    ),
    "StoveBurner": frozenset({"Kettle", "Pan", "Pot"}),
    "TVStand": frozenset({"TissueBox"}),
    "Toaster": frozenset(),
    "Toilet": frozenset(_BATH_THINGS),
    "ToiletPaperHanger": frozenset({"ToiletPaper"}),
    "TowelHolder": frozenset({"Towel"}),
}

#: Receptacles a lamp may stand on/next to (lamps are never picked up).
LAMP_STANDS = {
    "DeskLamp": ("Desk", "SideTable", "Dresser", "Shelf", "CoffeeTable", "Bed", "ArmChair"),
    "FloorLamp": ("Sofa", "SideTable", "ArmChair", "Shelf"),
}


@dataclass(frozen=True, slots=True)
class RoomKind:
    """Receptacle and object make-up of one room kind."""

    required: dict[str, tuple[int, int]]
    """Receptacle type -> (min, max) count; every such room has at least ``min``."""
    optional: dict[str, tuple[float, int]]
    """Receptacle type -> (probability present, max count)."""
    objects: dict[str, int]
    """Object type -> most copies in one scene."""
    lamps: tuple[str, ...] = ()
    """Lamp types this room kind can have."""
    object_types_per_scene: tuple[int, int] = (8, 14)


ROOMS: dict[str, RoomKind] = {
    "Kitchen": RoomKind(
        required={
            "Cabinet": (3, 14),
            "CounterTop": (1, 3),
            "Drawer": (2, 10),
            "Fridge": (1, 1),
            "Microwave": (1, 1),
            "SinkBasin": (1, 1),
            "StoveBurner": (4, 4),
            "CoffeeMachine": (1, 1),
            "Toaster": (1, 1),
            "GarbageCan": (1, 1),
        },
        optional={"DiningTable": (0.6, 1), "Shelf": (0.3, 3), "SideTable": (0.15, 1)},
        objects={name: 3 for name in _KITCHEN_SURFACE_THINGS},
        object_types_per_scene=(10, 16),
    ),
    "LivingRoom": RoomKind(
        required={"Sofa": (1, 1), "GarbageCan": (1, 1)},
        optional={
            "ArmChair": (0.7, 2),
            "CoffeeTable": (0.8, 2),
            "SideTable": (0.8, 3),
            "Drawer": (0.7, 6),
            "Shelf": (0.6, 8),
            "TVStand": (0.5, 1),
            "DiningTable": (0.4, 1),
            "Dresser": (0.2, 1),
            "Cabinet": (0.3, 4),
            "Safe": (0.15, 1),
            "Ottoman": (0.2, 1),
        },
        objects={
            "Box": 2,
            "Candle": 2,
            "CellPhone": 2,
            "CreditCard": 3,
            "KeyChain": 3,
            "Laptop": 2,
            "Newspaper": 2,
            "Pen": 2,
            "Pencil": 2,
            "Pillow": 2,
            "Plate": 2,
            "RemoteControl": 3,
            "Statue": 3,
            "TissueBox": 2,
            "Vase": 3,
            "Watch": 2,
            "WateringCan": 1,
            "Bowl": 2,
        },
        lamps=("DeskLamp", "FloorLamp"),
    ),
    "Bedroom": RoomKind(
        required={"Bed": (1, 1), "GarbageCan": (1, 1), "Drawer": (2, 8)},
        optional={
            "Desk": (0.7, 1),
            "Dresser": (0.6, 1),
            "SideTable": (0.7, 2),
            "Shelf": (0.6, 8),
            "ArmChair": (0.2, 1),
            "Safe": (0.15, 1),
            "LaundryHamper": (0.3, 1),
            "Cabinet": (0.2, 4),
        },
        objects={
            "AlarmClock": 2,
            "BaseballBat": 1,
            "BasketBall": 1,
            "Book": 2,
            "Bowl": 2,
            "Box": 1,
            "CD": 3,
            "CellPhone": 3,
            "Cloth": 2,
            "CreditCard": 2,
            "KeyChain": 2,
            "Laptop": 2,
            "Mug": 2,
            "Pen": 3,
            "Pencil": 3,
            "Pillow": 2,
            "RemoteControl": 1,
            "Statue": 1,
            "TennisRacket": 1,
            "TissueBox": 1,
            "Vase": 1,
            "Watch": 1,
        },
        lamps=("DeskLamp",),
    ),
    "Bathroom": RoomKind(
        required={
            "Toilet": (1, 1),
            "SinkBasin": (1, 2),
            "HandTowelHolder": (1, 1),
            "TowelHolder": (1, 1),
            "ToiletPaperHanger": (1, 1),
            "GarbageCan": (1, 1),
        },
        optional={
            "BathtubBasin": (0.7, 1),
            "Cabinet": (0.8, 4),
            "CounterTop": (0.7, 1),
            "Drawer": (0.5, 4),
            "Shelf": (0.4, 3),
            "Cart": (0.1, 1),
            "SideTable": (0.1, 1),
        },
        objects={
            "Candle": 3,
            "Cloth": 3,
            "DishSponge": 1,
            "HandTowel": 1,
            "Plunger": 1,
            "SoapBar": 3,
            "SoapBottle": 3,
            "SprayBottle": 3,
            "TissueBox": 2,
            "ToiletPaper": 3,
            "Towel": 1,
        },
        object_types_per_scene=(7, 11),
    ),
}
