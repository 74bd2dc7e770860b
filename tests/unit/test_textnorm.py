"""Normalisation keeps what users quote and unifies the forms two bureaus type differently."""

from kb.core.textnorm import compact, is_flat, normalize


def test_line_ends_spaces_and_blank_lines():
    assert normalize("第一段\r\n\r\n\u3000\u3000第二段  \r第三段") == "第一段\n第二段\n第三段"


def test_full_width_alnum_become_half_width():
    assert normalize("２０２４年ＡＢＣ１００％") == "2024年ABC100%"


def test_chinese_punctuation_in_chinese_context():
    assert normalize("县委、县人民政府:") == "县委、县人民政府："
    assert normalize("全年开展2次,受众超2000人次;") == "全年开展2次，受众超2000人次；"
    assert normalize("(一)强化法治思想引领") == "（一）强化法治思想引领"
    assert normalize("《纲要(2021—2025年)》") == "《纲要（2021—2025年）》"


def test_numbers_times_and_urls_survive():
    assert normalize("罚款1,000元") == "罚款1,000元"
    assert normalize("发布时间:2025-04-17 12:23") == "发布时间：2025-04-17 12:23"
    assert "www.yuanling.gov.cn" in normalize("门户网站 www.yuanling.gov.cn 发布时间")
    assert normalize("1.5万元") == "1.5万元"


def test_zero_width_and_bom_removed():
    assert normalize("\ufeff首违\u200b不罚") == "首违不罚"


def test_small_brackets_in_document_numbers():
    assert normalize("（荔）应急罚﹝2022﹞3号") == "（荔）应急罚〔2022〕3号"


def test_flat_document_regains_paragraphs():
    flat = (
        "前言文字。" * 400
        + " 一、加强组织领导 市应急管理局成立领导小组。 二、存在问题 一是力量薄弱。"
    )
    assert is_flat(flat)
    out = normalize(flat)
    assert "\n一、加强组织领导\n市应急管理局成立领导小组。\n二、存在问题\n一是力量薄弱。" in out


def test_compact_is_width_and_space_insensitive():
    assert compact("执法 力量，薄弱") == compact("执法力量,薄弱")
