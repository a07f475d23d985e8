"""Everyday messages that are no command: what producers send a number they also chat with.

Greetings, yes and no, thanks, names, numbers and small talk, in each language as people text
it (with and without Vietnamese accents, with native digits). None of them may stop a producer,
change a subscription, file a price report or create a buyer lead; a message that only might
mean "stop" is asked about, and that question changes nothing either.

`run_everyday` sends every message through the real handler, from a registered producer who
follows a product, against a database; `python -m tests.commands.everyday` prints the table
per language on a fresh SQLite database (`--database postgresql://...` for another one).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import func, select

from app.catalogue.service import load_demo_catalogue
from app.commands.handle import Sender, answer_message
from app.commands.keywords import Intent
from app.commands.parse import Parser, load_parser
from app.core.config import Settings
from app.core.db import Database, parse_database_url
from app.core.migrations import upgrade
from app.leads.models import BuyerLead
from app.prices.models import PriceObservation
from app.producers.addresses import find_by_urn
from app.producers.models import ProducerStatus, Subscription

EVERYDAY: dict[str, tuple[str, ...]] = {
    "en": (
        "hi",
        "hello",
        "Hello!",
        "hey",
        "good morning",
        "Good afternoon",
        "good evening",
        "good night",
        "hi there",
        "how are you?",
        "I'm fine, thanks",
        "fine thank you",
        "thanks",
        "thank you",
        "Thank you very much",
        "thx",
        "ok",
        "OK",
        "okay",
        "ok thanks",
        "yes",
        "Yes",
        "yes please",
        "yeah",
        "yep",
        "sure",
        "no",
        "No",
        "no thanks",
        "nope",
        "not now",
        "maybe later",
        "right",
        "correct",
        "that's right",
        "got it",
        "understood",
        "I see",
        "alright",
        "good",
        "great",
        "nice",
        "cool",
        "👍",
        "🙏",
        "😊",
        "bye",
        "goodbye",
        "see you",
        "see you tomorrow",
        "take care",
        "My name is Thida",
        "I am Tom",
        "Aung Aung here",
        "Sokha",
        "Huy",
        "Linh",
        "who is this?",
        "who are you",
        "what is this number?",
        "Is this MIC?",
        "I got your message",
        "received",
        "sorry",
        "sorry, wrong number",
        "no problem",
        "never mind",
        "please call me",
        "call me later",
        "I am busy now",
        "I will call you tomorrow",
        "I am driving",
        "where are you?",
        "I am at home",
        "I am at the market",
        "the weather is hot today",
        "it is raining here",
        "the road is flooded",
        "happy new year",
        "Happy Thingyan!",
        "congratulations",
        "good luck",
        "how is your family?",
        "my family is well",
        "my son is sick",
        "I am coming",
        "wait a moment",
        "5",
        "10",
        "100",
        "2026",
        "0912345678",
        "12,000",
        "two people",
        "see you at 5",
        "meeting at 9 am",
        "what time is it?",
        "tomorrow",
        "Monday",
        "ha ha",
        "lol",
        "well done",
        "God bless you",
        "test",
        "hmm",
        "really?",
        "I don't know",
        "I don't understand",
        "my phone is broken",
        "I'm hungry",
        "did you eat?",
        "on my way",
        "see you at the end of the week",
    ),
    "my": (
        "မင်္ဂလာပါ",
        "မင်္ဂလာပါ ခင်ဗျာ",
        "မင်္ဂလာနံနက်ခင်းပါ",
        "မင်္ဂလာညနေခင်းပါ",
        "နေကောင်းလား",
        "နေကောင်းပါတယ်",
        "ကျေးဇူးတင်ပါတယ်",
        "ကျေးဇူးပါ",
        "ကျေးဇူးအများကြီးတင်ပါတယ်",
        "ကျေးဇူးတင်ပါတယ်ရှင့်",
        "ဟုတ်ကဲ့",
        "ဟုတ်ကဲ့ ခင်ဗျာ",
        "ဟုတ်ကဲ့ရှင့်",
        "ဟုတ်",
        "ဟုတ်တယ်",
        "မဟုတ်ဘူး",
        "ဟင့်အင်း",
        "အင်း",
        "အိုကေ",
        "ရပါတယ်",
        "ရတယ်",
        "မရဘူး",
        "ကောင်းပါပြီ",
        "ကောင်းတယ်",
        "သိပြီ",
        "နားလည်ပါပြီ",
        "နားမလည်ဘူး",
        "မသိဘူး",
        "ဘယ်သူလဲ",
        "ဒါဘယ်သူ့ဖုန်းလဲ",
        "ကျွန်တော့်နာမည် အောင်အောင်ပါ",
        "ကျွန်မနာမည် သီတာပါ",
        "မောင်မောင်",
        "ကိုကို",
        "ဦးဘ",
        "စားပြီးပြီလား",
        "စားပြီးပြီ",
        "ထမင်းစားပြီးပြီလား",
        "ဘယ်မှာလဲ",
        "အိမ်မှာ",
        "ဈေးမှာ ရှိတယ်",
        "ခဏစောင့်ပါ",
        "ခဏနေ",
        "နောက်မှ ဖုန်းဆက်မယ်",
        "ဖုန်းဆက်ပါ",
        "အလုပ်များနေတယ်",
        "မိုးရွာနေတယ်",
        "ဒီနေ့ ပူတယ်",
        "ဒီနေ့ အေးတယ်",
        "မနက်ဖြန် တွေ့မယ်",
        "သွားတော့မယ်",
        "ဘိုင်ဘိုင်",
        "တာ့တာ",
        "ပျော်ရွှင်သော နှစ်သစ်ဖြစ်ပါစေ",
        "သင်္ကြန် ပျော်ပါစေ",
        "ဂုဏ်ယူပါတယ်",
        "ကံကောင်းပါစေ",
        "စိတ်မပူပါနဲ့",
        "ပြဿနာမရှိပါဘူး",
        "တောင်းပန်ပါတယ်",
        "ဆောရီး",
        "နံပါတ်မှားသွားတယ်",
        "ဟုတ်ကဲ့ ရပါပြီ",
        "ဟား ဟား",
        "😊",
        "👍",
        "၅",
        "၁၀",
        "၁၀၀",
        "၂၀၂၆",
        "၀၉၂၅၀၁၂၃၄၅၆",
        "ငါးထောင်",
        "ငါးရာ",
        "ငါးယောက်",
        "ငါးနာရီမှာ တွေ့မယ်",
        "ရပ်ကွက်ထဲမှာ ရှိတယ်",
        "ရပ်ရွာ အစည်းအဝေး",
        "ပိုးသတ်ဆေး ဘယ်မှာ ဝယ်ရမလဲ",
        "ပိုးမွှားတွေ များတယ်",
        "ငါ အိမ်ပြန်မယ်",
        "အမေ နေမကောင်းဘူး",
        "ကလေးတွေ ကျောင်းသွားပြီ",
        "ဘာလုပ်နေလဲ",
        "ဘာမှ မလုပ်ဘူး",
        "ရေချိုးမယ်",
        "အိပ်တော့မယ်",
        "ညနေ တွေ့မယ်",
        "လာခဲ့မယ်",
        "ရောက်ပြီ",
        "ကားပိတ်နေတယ်",
        "ရှင်",
        "စာရပြီ",
        "စာ ရပါတယ်",
        "ဘယ်တော့ လာမလဲ",
        "ဒီနေ့ ဘာနေ့လဲ",
        "မနက်ဖြန်",
        "တနင်္လာနေ့",
        "လက်ဖက်ရည် သောက်မယ်",
        "လက်ဖက်ရည်ဆိုင်မှာ စောင့်နေတယ်",
        "ကျန်းမာပါစေ",
        "အဆင်ပြေလား",
        "အဆင်ပြေပါတယ်",
        "ပိုက်ဆံ မရှိဘူး",
        "နောက်ကျမယ်",
        "သေချာလား",
        "တကယ်လား",
        "ဘာဖြစ်လို့လဲ",
        "ဖြည်းဖြည်း ပြောပါ",
        "ကား ရပ်ထားတယ်",
    ),
    "km": (
        "សួស្តី",
        "ជំរាបសួរ",
        "អរុណសួស្តី",
        "ទិវាសួស្តី",
        "សាយណ្ហសួស្តី",
        "រាត្រីសួស្តី",
        "សុខសប្បាយទេ?",
        "ខ្ញុំសុខសប្បាយ",
        "អរគុណ",
        "អរគុណច្រើន",
        "អរគុណណាស់",
        "បាទ",
        "ចាស",
        "បាទ បង",
        "ចាស អរគុណ",
        "បាទ យល់ហើយ",
        "ទេ",
        "អត់ទេ",
        "មិនអីទេ",
        "មិនអីទេ បង",
        "អូខេ",
        "យល់ព្រម",
        "បាន",
        "មិនបានទេ",
        "ល្អ",
        "ល្អណាស់",
        "ល្អហើយ",
        "ត្រូវហើយ",
        "ហ្នឹងហើយ",
        "ពិតមែន",
        "ខ្ញុំយល់ហើយ",
        "ខ្ញុំមិនយល់ទេ",
        "ខ្ញុំមិនដឹងទេ",
        "អ្នកណានេះ?",
        "នេះលេខអ្នកណា?",
        "ខ្ញុំឈ្មោះ សុខា",
        "ខ្ញុំឈ្មោះ ដារ៉ា",
        "សុភា",
        "បងស្រី",
        "ញ៉ាំបាយហើយឬនៅ?",
        "ញ៉ាំហើយ",
        "នៅឯណា?",
        "ខ្ញុំនៅផ្ទះ",
        "ខ្ញុំនៅផ្សារ",
        "ចាំបន្តិច",
        "ចាំមួយភ្លែត",
        "ខ្ញុំរវល់",
        "ទូរស័ព្ទមកខ្ញុំ",
        "ខ្ញុំនឹងទូរស័ព្ទទៅវិញ",
        "ភ្លៀងធ្លាក់ខ្លាំង",
        "ថ្ងៃនេះក្តៅណាស់",
        "ជួបគ្នាថ្ងៃស្អែក",
        "លាហើយ",
        "ជួបគ្នាពេលក្រោយ",
        "រីករាយឆ្នាំថ្មី",
        "សូមសំណាងល្អ",
        "អបអរសាទរ",
        "សុំទោស",
        "សុំទោស ខុសលេខ",
        "គ្មានបញ្ហាទេ",
        "ហាហា",
        "😊",
        "👍",
        "៥",
        "១០",
        "១០០",
        "២០២៦",
        "០១២៣៤៥៦៧៨",
        "ប៉ុន្តែខ្ញុំរវល់",
        "ខ្ញុំមានតែមួយ",
        "តែងតែអរគុណ",
        "គ្រាន់តែសួរ",
        "ទើបតែមកដល់",
        "ស្ត្រីម្នាក់",
        "ថ្ងៃនេះឈប់សម្រាក",
        "ម្តាយខ្ញុំឈឺ",
        "កូនទៅសាលាហើយ",
        "ធ្វើអ្វីហើយ?",
        "មិនធ្វើអ្វីទេ",
        "ទៅណា?",
        "ទៅផ្ទះ",
        "មកដល់ហើយ",
        "ផ្លូវស្ទះ",
        "ពិតមែនទេ?",
        "ប្រាកដទេ?",
        "អត់មានលុយ",
        "ទូរស័ព្ទខ្ញុំខូច",
        "ថ្ងៃនេះ",
        "ស្អែក",
        "ម្សិលមិញ",
        "ថ្ងៃចន្ទ",
        "ម៉ោងប៉ុន្មានហើយ?",
        "សូមនិយាយយឺតៗ",
        "និយាយម្តងទៀត",
        "សូមឲ្យមានសុខភាពល្អ",
        "ខ្ញុំឃ្លានហើយ",
        "ទៅញ៉ាំបាយ",
        "ផឹកកាហ្វេ",
        "ខ្ញុំកំពុងមក",
        "ខ្ញុំទទួលបានសារហើយ",
        "ពេលល្ងាចជួបគ្នា",
        "អញ្ចឹងទេ",
        "ខ្ញុំលក់អស់ហើយ",
        "ខ្ញុំទៅចូលរួមពិធីមង្គលការ",
    ),
    "lo": (
        "ສະບາຍດີ",
        "ສະບາຍດີຕອນເຊົ້າ",
        "ສະບາຍດີຕອນແລງ",
        "ສະບາຍດີບໍ່?",
        "ສະບາຍດີ ຂອບໃຈ",
        "ຂອບໃຈ",
        "ຂອບໃຈຫຼາຍໆ",
        "ຂອບໃຈຫຼາຍ",
        "ແມ່ນແລ້ວ",
        "ແມ່ນ",
        "ເຈົ້າ",
        "ໂດຍ",
        "ເຈົ້າ ຂອບໃຈ",
        "ໂດຍ ເຂົ້າໃຈແລ້ວ",
        "ບໍ່",
        "ບໍ່ແມ່ນ",
        "ບໍ່ເປັນຫຍັງ",
        "ບໍ່ເປັນຫຍັງດອກ",
        "ໂອເຄ",
        "ໄດ້",
        "ບໍ່ໄດ້",
        "ດີ",
        "ດີຫຼາຍ",
        "ດີແລ້ວ",
        "ເຂົ້າໃຈແລ້ວ",
        "ບໍ່ເຂົ້າໃຈ",
        "ບໍ່ຮູ້",
        "ແມ່ນໃຜ?",
        "ນີ້ແມ່ນເບີໃຜ?",
        "ຂ້ອຍຊື່ ສົມສັກ",
        "ຂ້ອຍຊື່ ແສງຈັນ",
        "ບຸນມີ",
        "ອ້າຍ",
        "ເອື້ອຍ",
        "ນ້ອງ",
        "ກິນເຂົ້າແລ້ວບໍ່?",
        "ກິນແລ້ວ",
        "ຢູ່ໃສ?",
        "ຢູ່ເຮືອນ",
        "ຢູ່ຕະຫຼາດ",
        "ລໍຖ້າໜ້ອຍໜຶ່ງ",
        "ບຶດໜຶ່ງ",
        "ຂ້ອຍຫຍຸ້ງ",
        "ໂທຫາຂ້ອຍແດ່",
        "ຈະໂທກັບ",
        "ຝົນຕົກໜັກ",
        "ມື້ນີ້ຮ້ອນຫຼາຍ",
        "ພົບກັນມື້ອື່ນ",
        "ລາກ່ອນ",
        "ແລ້ວພົບກັນໃໝ່",
        "ສະບາຍດີປີໃໝ່",
        "ໂຊກດີ",
        "ຂໍສະແດງຄວາມຍິນດີ",
        "ຂໍໂທດ",
        "ຂໍໂທດ ໂທຜິດເບີ",
        "ບໍ່ມີບັນຫາ",
        "555",
        "😊",
        "👍",
        "໕",
        "໑໐",
        "໑໐໐",
        "໒໐໒໖",
        "020 5551 2345",
        "ຊາວຄົນ",
        "ຊາວນາ",
        "ຜູ້ຊາຍຄົນນັ້ນ",
        "ປະຊາຊົນລາວ",
        "ຫຼາຍປານໃດ",
        "ປາກເຈັບ",
        "ໄປປາກເຊ",
        "ມື້ນີ້ຢຸດພັກ",
        "ເສື້ອສີມ່ວງ",
        "ແມ່ບໍ່ສະບາຍ",
        "ລູກໄປໂຮງຮຽນແລ້ວ",
        "ເຮັດຫຍັງຢູ່?",
        "ບໍ່ໄດ້ເຮັດຫຍັງ",
        "ໄປໃສ?",
        "ກັບບ້ານ",
        "ຮອດແລ້ວ",
        "ກຳລັງມາ",
        "ລົດຕິດ",
        "ແທ້ບໍ່?",
        "ແນ່ໃຈບໍ່?",
        "ບໍ່ມີເງິນ",
        "ໂທລະສັບເພ",
        "ມື້ນີ້",
        "ມື້ອື່ນ",
        "ມື້ວານ",
        "ວັນຈັນ",
        "ຈັກໂມງແລ້ວ?",
        "ເວົ້າຊ້າໆແດ່",
        "ເວົ້າອີກເທື່ອໜຶ່ງ",
        "ຂໍໃຫ້ສຸຂະພາບແຂງແຮງ",
        "ຫິວເຂົ້າແລ້ວ",
        "ໄປກິນເຂົ້າ",
        "ກິນກາເຟ",
        "ໄດ້ຮັບຂໍ້ຄວາມແລ້ວ",
        "ພົບກັນຕອນແລງ",
        "ແມ່ນບໍ?",
        "ຄິດຮອດ",
    ),
    "vi": (
        "chào",
        "xin chào",
        "chào bạn",
        "chào anh",
        "chào chị",
        "chào buổi sáng",
        "chúc ngủ ngon",
        "bạn khỏe không?",
        "khỏe, cảm ơn",
        "cảm ơn",
        "cảm ơn bạn",
        "cảm ơn nhiều",
        "cam on",
        "cám ơn anh",
        "vâng",
        "dạ",
        "dạ vâng",
        "vâng ạ, cảm ơn",
        "dạ em hiểu rồi",
        "ừ",
        "có",
        "co",
        "không",
        "khong",
        "không ạ",
        "không sao",
        "ok",
        "ok anh",
        "được",
        "được rồi",
        "đúng",
        "Đúng",
        "ĐÚNG",
        "đúng rồi",
        "Đúng vậy",
        "dung roi",
        "dùng",
        "tất cả",
        "tất cả đều tốt",
        "tat ca deu tot",
        "tôi là Huy",
        "Dũng",
        "anh Dũng đây",
        "tên tôi là Lan",
        "Minh",
        "chị Hoa",
        "của tôi",
        "cái này của ai?",
        "cả nhà khỏe không?",
        "lúa đang chín",
        "trời mưa to quá",
        "mùa mưa",
        "đi uống cà phê",
        "cà chua",
        "mấy giờ rồi?",
        "máy hỏng rồi",
        "gom hàng",
        "tô phở",
        "tờ giấy",
        "bạn bè",
        "gia đình khỏe không?",
        "mai gặp",
        "hẹn gặp lại",
        "hen gap lai",
        "tạm biệt",
        "chúc mừng năm mới",
        "chúc may mắn",
        "xin lỗi",
        "xin lỗi, nhầm số",
        "không có gì",
        "haha",
        "😊",
        "👍",
        "5",
        "10",
        "100",
        "2026",
        "0912345678",
        "ba người",
        "bạn ở đâu?",
        "tôi ở nhà",
        "tôi đang ở chợ",
        "chờ chút",
        "tôi đang bận",
        "gọi cho tôi",
        "lát nữa tôi gọi lại",
        "trời nóng quá",
        "mẹ tôi bị ốm",
        "con đi học rồi",
        "đang làm gì đó?",
        "đi đâu đấy?",
        "về nhà",
        "đến rồi",
        "tắc đường",
        "thật không?",
        "chắc chắn",
        "hết tiền rồi",
        "hôm nay",
        "ngày mai",
        "thứ hai",
        "nói chậm thôi",
        "chúc sức khỏe",
        "ăn cơm chưa?",
        "đã nhận tin nhắn",
        "tối gặp nhé",
        "tốt lắm",
        "cá tính",
        "tôi muốn tham gia họp",
        "dừng xe ở đâu?",
    ),
    "zh": (
        "你好",
        "您好",
        "早上好",
        "早",
        "晚上好",
        "晚安",
        "你好吗？",
        "我很好，谢谢",
        "谢谢",
        "谢谢你",
        "多谢",
        "非常感谢",
        "不客气",
        "好的",
        "好",
        "好吧",
        "是的",
        "是",
        "对",
        "对的",
        "没错",
        "不是",
        "不",
        "不用了",
        "不要",
        "没关系",
        "没问题",
        "可以",
        "行",
        "知道了",
        "明白了",
        "我不明白",
        "我不知道",
        "你是谁？",
        "这是谁的号码？",
        "我叫李明",
        "我是老王",
        "张伟",
        "小李",
        "吃饭了吗？",
        "吃了",
        "你在哪里？",
        "我在家",
        "我在市场",
        "等一下",
        "稍等",
        "我很忙",
        "给我打电话",
        "我等会儿打给你",
        "下大雨了",
        "今天很热",
        "明天见",
        "再见",
        "拜拜",
        "新年快乐",
        "恭喜发财",
        "祝你好运",
        "对不起",
        "不好意思，打错了",
        "哈哈",
        "😊",
        "👍",
        "5",
        "10",
        "100",
        "2026",
        "13800138000",
        "五个人",
        "一千",
        "喝茶吧",
        "一起喝茶",
        "奶茶",
        "我是你的粉丝",
        "螺丝坏了",
        "钓鱼去了",
        "光芒万丈",
        "我妈妈病了",
        "孩子上学了",
        "你在干什么？",
        "去哪儿？",
        "回家",
        "到了",
        "在路上",
        "堵车了",
        "真的吗？",
        "确定吗？",
        "没钱了",
        "手机坏了",
        "今天",
        "明天",
        "星期一",
        "几点了？",
        "请说慢一点",
        "再说一遍",
        "祝你身体健康",
        "饿了",
        "喝咖啡",
        "收到",
        "收到了，谢谢",
        "晚上见",
        "太好了",
        "辛苦了",
        "生日快乐",
        "买菜去了",
        "提醒我明天开会",
        "谢谢关注",
    ),
}

# Who sends them: a producer of the country where the language is spoken (Chinese at Muse,
# English anywhere), registered and following a product there.
SENDERS: dict[str, tuple[str, str]] = {
    "en": ("tel:+959250111111", "JOIN MANGO MUSE"),
    "my": ("tel:+959250123456", "JOIN သရက်သီး မူဆယ်"),
    "km": ("tel:+85512345678", "JOIN សូត្រ ភ្នំស្រុក"),
    "lo": ("tel:+8562055512345", "JOIN ໄໝ ວຽງຈັນ"),
    "vi": ("tel:+84912345678", "JOIN chè thái nguyên"),
    "zh": ("tel:+959250222222", "JOIN 芒果 木姐"),
}


@dataclass
class Tally:
    messages: int = 0
    stops: int = 0
    subscription_changes: int = 0
    reports: int = 0
    leads: int = 0
    asked: int = 0  # "stop all messages?" questions, which change nothing
    offenders: list[str] = field(default_factory=list)


async def run_everyday(
    database: Database, settings: Settings, corpus: dict[str, tuple[str, ...]] = EVERYDAY
) -> dict[str, Tally]:
    """Every message of `corpus` through the handler by SMS, one transaction each as a gateway
    sends them; what changed is counted per language."""
    async with database.session() as s:
        parser = await load_parser(s)
    tallies: dict[str, Tally] = {}
    for locale, messages in corpus.items():
        urn, join = SENDERS[locale]
        sender = Sender(urn, "sms", locale)
        async with database.session() as s:
            await answer_message(s, parser=parser, text=join, sender=sender, settings=settings)
        tally = tallies[locale] = Tally()
        for text in messages:
            before = await _state(database, urn)
            async with database.session() as s:
                record = await answer_message(
                    s, parser=parser, text=text, sender=sender, settings=settings
                )
            after = await _state(database, urn)
            tally.messages += 1
            tally.asked += record.intent == Intent.MAYBE_STOP
            changed = False
            if after.status != before.status:
                tally.stops += 1
                changed = True
            if after.subscriptions != before.subscriptions:
                tally.subscription_changes += 1
                changed = True
            if after.prices != before.prices:
                tally.reports += 1
                changed = True
            if after.leads != before.leads:
                tally.leads += 1
                changed = True
            if changed:
                tally.offenders.append(text)
                await _restore(database, urn, join, parser, settings)
    return tallies


@dataclass(frozen=True)
class _State:
    status: ProducerStatus
    subscriptions: frozenset[tuple[object, ...]]
    prices: int
    leads: int


async def _state(database: Database, urn: str) -> _State:
    async with database.session() as s:
        producer = await find_by_urn(s, urn)
        assert producer is not None
        rows = (
            await s.exec(select(Subscription).where(Subscription.producer_id == producer.id))
        ).all()
        return _State(
            producer.status,
            frozenset(
                (x.commodity_id, x.variety_id, x.market_id, x.rule, x.threshold) for x in rows
            ),
            (await s.exec(select(func.count()).select_from(PriceObservation))).one(),
            (await s.exec(select(func.count()).select_from(BuyerLead))).one(),
        )


async def _restore(
    database: Database, urn: str, join: str, parser: Parser, settings: Settings
) -> None:
    """After a message that changed something, the producer is put back as they were, so the
    next message is judged on its own."""
    async with database.session() as s:
        producer = await find_by_urn(s, urn)
        assert producer is not None
        producer.status = ProducerStatus.ACTIVE
        s.add(producer)
        for row in (
            await s.exec(select(Subscription).where(Subscription.producer_id == producer.id))
        ).all():
            await s.delete(row)
    async with database.session() as s:
        await answer_message(
            s, parser=parser, text=join, sender=Sender(urn, "sms"), settings=settings
        )


def table(tallies: dict[str, Tally]) -> str:
    lines = ["language  messages  stops  subscription changes  reports  leads  asked to confirm"]
    for locale, t in tallies.items():
        lines.append(
            f"{locale:8}  {t.messages:8}  {t.stops:5}  {t.subscription_changes:20}  "
            f"{t.reports:7}  {t.leads:5}  {t.asked:16}"
        )
    total = Tally(
        messages=sum(t.messages for t in tallies.values()),
        stops=sum(t.stops for t in tallies.values()),
        subscription_changes=sum(t.subscription_changes for t in tallies.values()),
        reports=sum(t.reports for t in tallies.values()),
        leads=sum(t.leads for t in tallies.values()),
        asked=sum(t.asked for t in tallies.values()),
    )
    lines.append(
        f"{'all':8}  {total.messages:8}  {total.stops:5}  {total.subscription_changes:20}  "
        f"{total.reports:7}  {total.leads:5}  {total.asked:16}"
    )
    for locale, t in tallies.items():
        lines += [f"{locale}: changed something: {text}" for text in t.offenders]
    return "\n".join(lines)


async def _main(url: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = url or f"sqlite:///{Path(folder) / 'everyday.db'}"
        upgrade(parse_database_url(url))
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            env="test",
            database_url=url,
            secret_key="everyday-corpus-run",
            dispatcher=False,
            scheduler=False,
        )
        database = Database(url)
        try:
            async with database.session() as s:
                await load_demo_catalogue(s)
            print(table(await run_everyday(database, settings)))
        finally:
            await database.dispose()


if __name__ == "__main__":
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--database", help="an empty database URL (default: a new SQLite file)")
    asyncio.run(_main(arguments.parse_args().database))
