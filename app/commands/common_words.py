"""Everyday words that contain a catalogue name or a command word, or fold to one.

The parser indexes them beside the names and keywords so that they win where they fit:
- Burmese, Khmer and Lao run words together, and the longest known word wins a position, so a
  name inside a longer everyday word is not found (ပိုး, silk, inside ပိုးသတ်ဆေး, pesticide;
  ຊາ, tea, inside ຊາວ, twenty; ငါး, fish, before a number word: ငါးထောင် is 5 000).
- Vietnamese folds accents for matching ("gia xoai" finds "giá xoài"). Where an everyday word
  folds like a name or keyword, the accents a producer typed decide ("của" is not "cua", crab;
  "Đúng" is not "dừng", stop), and unaccented text that could be either ("dung") is ambiguous:
  a name is used only when nothing surer is there, a stop word makes MIC ask first.
- English words that fold like a Vietnamese name ("to" and tơ, silk) are ambiguous the same way.

These words never mean anything themselves. Add a word here when it is mistaken for a name.
"""

from __future__ import annotations

from typing import Final

COMMON_WORDS: Final[dict[str, tuple[str, ...]]] = {
    # silk varieties are also how people feel ("I'm fine"); Vietnamese names; "the end"
    "en": ("fine", "mixed", "rough", "to", "may", "tom", "the end"),
    "vi": (
        # yes, right, use; names people are called (Dũng, Huy)
        "đúng",
        "đúng rồi",
        "đúng vậy",
        "dùng",
        "dũng",
        "đứng",
        "huy",
        # of, door, saw: cua (crab)
        "của",
        "cửa",
        "cưa",
        # all, aubergine, coffee, tomato, shift, personality: cá (fish)
        "cả",
        "cả nhà",
        "cá tính",
        "tất cả",
        "tất",
        "cà",
        "cà phê",
        "cà chua",
        "ca",
        # how many, machine, you, lucky: mây (rattan)
        "mấy",
        "máy",
        "mày",
        "may",
        # rice plant, fire, donkey: lụa (silk)
        "lúa",
        "lửa",
        "lừa",
        # to collect: gốm (ceramics)
        "gom",
        # big, bowl, sheet: tơ (silk)
        "to",
        "tô",
        "tờ",
        # rain, season: mua (buy)
        "mưa",
        "mùa",
        # friend, table: bán (sell)
        "bạn",
        "bàn",
        # family: giá (price); how old: bao nhiêu (how much)
        "gia đình",
        "bao nhiêu tuổi",
    ),
    "my": (
        # ငါး (fish) is also "five": before a number word or a counter it is the number.
        "ငါးထောင်",
        "ငါးရာ",
        "ငါးဆယ်",
        "ငါးသောင်း",
        "ငါးသိန်း",
        "ငါးသန်း",
        "ငါးကျပ်",
        "ငါးရက်",
        "ငါးနာရီ",
        "ငါးယောက်",
        "ငါးနှစ်",
        "ငါးမိနစ်",
        "ငါးခု",
        "ငါးလုံး",
        # ပိုး (silk) is also "insect": pesticide, insects, worm
        "ပိုးသတ်ဆေး",
        "ပိုးမွှား",
        "ပိုးကောင်",
        # ရပ် (stop) is also "stand" and "quarter": ward, village, to stand, to rest
        "ရပ်ကွက်",
        "ရပ်ရွာ",
        "ရပ်တည်",
        "ရပ်နား",
        # ဘယ်လောက် (how much) in "how long"
        "ဘယ်လောက်ကြာ",
        # လက်ဖက် (tea leaf) in tea to drink and the tea shop
        "လက်ဖက်ရည်",
        "လက်ဖက်ရည်ဆိုင်",
        # "an alert" (the noun) asks for nothing by itself: သတိပေး alone is "alert me"
        "သတိပေးချက်",
    ),
    "km": (
        # តែ (tea) is also "only", "but", "always", "just"
        "ប៉ុន្តែ",
        "តែប៉ុណ្ណោះ",
        "មានតែ",
        "គ្រាន់តែ",
        "ត្រឹមតែ",
        "តែងតែ",
        "ទើបតែ",
        "ចេះតែ",
        "តែម្ដង",
        "តែម្តង",
        "តែម្នាក់",
        # ត្រី (fish): night (good night), woman, quarter of a year
        "រាត្រី",
        "ស្ត្រី",
        "ត្រីមាស",
        # ប៉ុន្មាន (how much) in "what time"
        "ម៉ោងប៉ុន្មាន",
        # ឈប់ (stop) in "day off"
        "ឈប់សម្រាក",
    ),
    "lo": (
        # ຊາ (tea): twenty and villagers, male, man, people, nation
        "ຊາວ",
        "ຊາວນາ",
        "ຊາຍ",
        "ຜູ້ຊາຍ",
        "ປະຊາຊົນ",
        "ຊາດ",
        # ປາ (fish): how much, mouth, Pakse, medium, tip
        "ປານໃດ",
        "ຫຼາຍປານໃດ",
        "ປາກ",
        "ປາກເຊ",
        "ປານກາງ",
        "ປາຍ",
        # ມ່ວງ (mango) is also purple
        "ສີມ່ວງ",
        # ປູ (crab): cement
        "ປູນ",
        # ຢຸດ (stop) in "day off"
        "ຢຸດພັກ",
        "ມື້ຢຸດ",
    ),
    "zh": (
        # 茶 (tea) in drinking tea, milk tea, a tea house
        "喝茶",
        "奶茶",
        "茶馆",
        # 丝 (silk): fans, screw, the least bit
        "粉丝",
        "螺丝",
        "一丝",
        "丝毫",
        # 芒 (mango): rays of light
        "光芒",
        # 鱼 (fish) in fishing
        "钓鱼",
    ),
}
