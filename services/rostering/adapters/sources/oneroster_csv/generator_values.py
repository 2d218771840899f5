"""Names, phones and emails for the district generator, drawn from a seeded random stream."""

from __future__ import annotations

import random

GIVEN = ("Ava", "Ben", "Chloe", "Dennis", "Elena", "Farid", "Grace", "Hugo", "Isla", "Jamal", "Keiko", "Liam",
         "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen", "Yusuf", "Zoe",
         "Amara", "Bruno", "Carmen", "Diego", "Esther", "Felix", "Gita", "Hamid", "Ines", "Jonas", "Kofi", "Lena")
FAMILY = ("Anders", "Baker", "Castillo", "Dubois", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
          "Kowalski", "Lopez", "Mbeki", "Nguyen", "Okafor", "Patel", "Quist", "Rossi", "Silva", "Tanaka", "Umar",
          "Vargas", "Walsh", "Xu", "Young", "Zhang", "O'Brien", "Smith-Jones", "Mendez", "Novak")
SUBJECTS = ("Homeroom", "Mathematics", "English", "Science", "Social Studies", "Art", "Music",
            "Physical Education", "Spanish", "Computer Science")
EMAIL_PROVIDERS = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com", "aol.com", "comcast.net")

# Real US area codes, every one valid to phonenumbers with any exchange 200-999.
US_AREA_CODES = (201, 202, 203, 205, 206, 207, 208, 212, 213, 214, 215, 216, 217, 218, 219, 224, 225, 228, 229,
                 231, 234, 239, 240, 248, 251, 252, 253, 254, 256, 260, 262, 267, 269, 270, 276, 281, 301, 302,
                 303, 304, 305, 307, 308, 309, 310, 312, 313, 314, 315, 316, 317, 318, 319, 320, 321, 323, 325,
                 330, 331, 334, 336, 337, 339, 347, 351, 352, 360, 361, 385, 386, 401, 402, 404, 405, 406, 407,
                 408, 409, 410, 412, 413, 414, 415, 417, 419, 423, 424, 425, 430, 432, 434, 435, 440, 443, 469,
                 470, 475, 478, 479, 480, 484, 501, 502, 503, 504, 505, 507, 508, 509, 510, 512, 513, 515, 516,
                 517, 518, 520, 530, 540, 541, 551, 559, 561, 562, 563, 567, 570, 571, 573, 574, 575, 580, 585,
                 586, 601, 602, 603, 605, 606, 607, 608, 609, 610, 612, 614, 615, 616, 617, 618, 619, 620, 623,
                 626, 630, 631, 636, 641, 646, 650, 651, 660, 661, 662, 678, 682, 701, 702, 703, 704, 706, 707,
                 708, 712, 713, 714, 715, 716, 717, 718, 719, 720, 724, 727, 731, 732, 734, 740, 754, 757, 760,
                 763, 765, 770, 772, 773, 774, 775, 781, 785, 786, 801, 802, 803, 804, 805, 806, 808, 810, 812,
                 813, 814, 815, 816, 817, 818, 828, 830, 831, 832, 843, 845, 847, 848, 850, 856, 857, 858, 859,
                 860, 862, 863, 864, 865, 870, 901, 903, 904, 907, 908, 909, 910, 912, 913, 914, 915, 916, 917,
                 918, 919, 920, 925, 928, 931, 936, 937, 940, 941, 947, 949, 951, 952, 954, 956, 970, 971, 972,
                 973, 978, 979, 980, 985, 989)
# How SIS exports write the same number: every shape phonenumbers reads as US.
PHONE_SHAPES = ("({a}) {x}-{l}", "{a}-{x}-{l}", "{a}.{x}.{l}", "+1 {a} {x} {l}", "{a}{x}{l}", "+1{a}{x}{l}")
INVALID_PHONES = ("555-01", "(123) 456-7890", "+1 800 FLOWERS 99", "000-000-0000", "12345")


def area_codes(rng: random.Random, count: int = 6) -> tuple[int, ...]:
    """A district is local: its numbers come from a handful of area codes."""
    return tuple(rng.sample(US_AREA_CODES, count))


def phone_number(rng: random.Random, areas: tuple[int, ...]) -> str:
    exchange = rng.randrange(200, 1000)
    if exchange % 100 == 11:  # N11 codes (411, 911) are not exchanges
        exchange += 1
    shape = rng.choice(PHONE_SHAPES)
    return shape.format(a=rng.choice(areas), x=exchange, l=f"{rng.randrange(10000):04d}")


def invalid_phone(rng: random.Random) -> str:
    return rng.choice(INVALID_PHONES)


def email_address(given: str, family: str, serial: int, domain: str) -> str:
    local = f"{given}.{family}{serial}".replace("'", "").replace(" ", "")
    # Some systems keep the case people typed; the reader lower-cases it.
    return f"{local}@{domain}" if serial % 4 else f"{local}@{domain}".upper()


def invalid_email(email: str) -> str:
    """The same address broken the ways typos break one: no @, or a doubled one."""
    local, _, domain = email.partition("@")
    return f"{local}.{domain}" if len(local) % 2 else f"{local}@@{domain}"
