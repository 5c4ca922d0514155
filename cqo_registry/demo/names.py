"""Constants and word lists of the demo county: towns, names, trades, positions."""

from datetime import date

SEED = 20201116
DEFAULT_PASSWORD = "Demo@2026"
ENTERPRISE_COUNT = 300
COUNTY_CODE = "341522"
# The registry was set up from the bureau's enterprise list right after the notice.
REGISTRY_START = date(2020, 11, 16)

# (name, 12-digit statistical division code). The first is the town officer's town and the
# showcase enterprise's; it has the lowest code so that it also sorts first.
TOWNS = [
    ("城关镇", "341522100000"),
    ("新店镇", "341522101000"),
    ("石店镇", "341522102000"),
    ("马店镇", "341522103000"),
    ("孟集镇", "341522104000"),
    ("花园镇", "341522105000"),
    ("长集镇", "341522106000"),
    ("河口镇", "341522107000"),
    ("周集镇", "341522108000"),
    ("临水镇", "341522109000"),
    ("岔路镇", "341522110000"),
    ("经济开发区", "341522400000"),
]
TOWN_WEIGHTS = [20, 6, 5, 6, 5, 5, 6, 6, 5, 5, 4, 27]

SHOWCASE = {
    "name": "安徽淠河食品股份有限公司",
    "org_code": "70498316",
    "legal_representative": "汪志刚",
}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏付方邹孟熊秦邱江尹薛段雷侯龙史陶贺顾毛郝龚邵万钱"
)
MALE_CHARS = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁健亮林峰建俊"
    "东文海国志永春庆光德宏松胜立新成兵龙江浩宇晨阳"
)
FEMALE_CHARS = "芳娟敏静丽艳娜霞燕玲婷慧红梅琳洁雪莉萍颖倩琴云兰凤丹晶秀英佳"
BRANDS = (
    "皖西 江淮 大别山 淠河 金辉 恒信 华泰 瑞丰 鑫源 宏达 天润 绿源 新禾 永成 康达"
    " 润泽 长丰 众邦 盛华 嘉和 德力 安达 联创 兴业 宝丰 泰和 汇通 博瑞 振华 金穗"
    " 丰源 欣荣 远航 明珠 佳美 同创 科达 圣源 东方 中兴 银河 金桥 凯旋 华翔 正大"
    " 百川 荣盛 万家 宏图 鸿运 新纪元 千禧 龙腾 凤凰 金鼎 恒通 诚信"
).split()
# Industry section -> (weight, trade words of high-risk sectors, other trade words). Food and
# other high-risk sectors (notice §5.4) make an enterprise high_risk.
TRADES = {
    "C": (
        62,
        "食品 米业 粮油 茶业 酒业 肉类食品 农产品加工 化工 医药",
        "机械制造 新材料科技"
        " 纺织 服饰 电子科技 包装材料 新型建材 塑业 五金制品 汽车零部件 羽绒制品 木业 家具"
        " 电气设备 铸造 钢结构 光伏科技 环保设备 矿山机械",
    ),
    "A": (5, "", "农业开发 生态农业 种业"),
    "B": (2, "矿业", ""),
    "D": (3, "", "水务 新能源 热电"),
    "E": (8, "", "建设工程 建筑安装工程 路桥工程"),
    "F": (8, "医药连锁 超市", "商贸 农资"),
    "G": (4, "", "物流 运输"),
    "H": (3, "餐饮管理", "酒店管理"),
    "I": (2, "", "信息技术 网络科技"),
    "K": (1, "", "置业"),
    "M": (1, "", "检测技术 工程设计"),
    "N": (1, "", "环境治理"),
}
ROADS = "人民 解放 长江 淮河 迎宾 建设 工业 振兴 兴业 创业 光明 和平 新华 府前 淠河".split()
VILLAGES = "张湾 李岗 王圩 陈庄 刘集 大店 新庙 桥头 东湖 双河 柳林 高塘".split()
MOBILE_PREFIXES = "133 135 136 137 138 139 150 151 152 155 156 158 159 177 180 181 187 188 189 199"
# Birth areas of CQOs born before the 1999 reform, when the area was 六安地区 (3424xx): their ID
# numbers keep those codes for life, and python-stdnum checks the code against the birth year.
BIRTH_AREAS = ["342423"] * 6 + ["342401", "342422", "342425", "342426", "342427"]
PRINCIPAL_POSITIONS = ["董事长", "总经理", "董事长兼总经理", "执行董事"]
CQO_POSITIONS = "副总经理 质量副总经理 总工程师 质量总监 副总经理兼质量部部长 技术副总".split()
TITLES = "高级工程师 工程师 质量工程师 高级质量工程师 助理工程师 高级经济师 经济师".split() + [""]
QUALIFICATIONS = [
    "中级质量工程师（质量专业技术人员职业资格）",
    "ISO 9001 质量管理体系内审员",
    "六西格玛黑带",
    "二级注册计量师",
    "",
]
RETURN_REASONS = [
    "聘任文件未加盖企业公章，请重新上传盖章扫描件。",
    "拟任人员职务为质量部经理，不属于企业高层管理人员，请核实后补充任职文件。",
    "聘任日期与聘任文件落款日期不一致，请核对。",
]

# --- Oversight: evaluations, selection, incidents and sanctions, vacancies -------------------

# Towns whose CQOs the bureau evaluates every year in the demo (with the showcase's CQO).
EVALUATED_TOWNS = ["花园镇"]
SELF_ASSESSMENTS = [
    "本年度组织修订质量手册和程序文件，参加公司经营例会12次，对两批次原料行使质量否决；"
    "牵头完成质量管理体系监督审核，无重大不符合项。",
    "推动企业标准自我声明公开，新增企业标准2项；组织QC小组活动4个，"
    "完成质量攻关项目1项，产品一次交检合格率提升至98.6%。",
    "建立原料供应商质量档案和追溯台账，开展质量安全风险研判4次；"
    "组织全员质量培训3期，参加县局质量月活动并作交流发言。",
    "完善计量器具管理，送检率100%；配合市场监管部门监督抽查，抽检全部合格；"
    "帮扶配套小微企业2家改进检验能力。",
]
EVALUATION_COMMENTS = {
    "excellent": "履职到位，质量基础扎实，在行业内发挥了示范带动作用。",
    "qualified": "能够履行首席质量官职责，建议进一步加强质量创新和品牌建设。",
    "basic": "基本履行职责，但参与企业经营决策和质量风险研判不足，需限期改进。",
    "unqualified": "未有效履行首席质量官职责，质量管理制度落实不到位，予以约谈督促整改。",
}
NOMINATION_STATEMENTS = [
    "主持建立全过程质量追溯体系，连续三年监督抽查合格，带领企业获评市级质量标杆。",
    "牵头制定企业标准并入选“领跑者”名单，组织质量攻关降低产品不良率40%。",
    "推行卓越绩效管理模式，企业获县政府质量奖提名，积极帮扶上下游小微企业提升质量。",
    "坚持质量安全一票否决，建立HACCP体系并通过认证，全年未发生质量安全事故。",
    "组织开展群众性质量改进活动，QC成果获省级二等奖，培养内审员12名。",
]
INCIDENT_TEXTS = {
    "general": "县局监督抽查中，一批次产品标签标识不符合国家标准要求，企业已召回并整改。",
    "serious": "消费者投诉产品质量问题，经核查同一批次产品多项指标不合格，涉及销售约600件。",
    "major": "企业报告：生产线异物混入导致一批次产品流入市场，已启动召回，涉及多个县区。",
    "exit": "连续两次监督抽查不合格，企业质量管理体系运行失效，整改期满仍未达到要求。",
}
SANCTION_REASONS = {
    "interview": "企业发生质量问题后未及时组织原因分析和整改，约谈首席质量官，"
    "督促落实质量安全主体责任。",
    "warning": "未按要求参加年度培训和履职评价，质量安全风险研判流于形式，予以警示。",
    "exit": "首席质量官未有效履职，企业质量管理体系运行失效，经研究作退出处理。",
}
VACANCY_NOTES = [
    "电话联系企业负责人，答复正在物色人选，预计下月完成聘任。",
    "上门走访，企业原首席质量官已离职，已告知须在30日内重新聘任并备案。",
    "企业反映拟由分管生产的副总经理兼任，已指导其准备聘任文件。",
    "再次电话督促，企业称聘任文件已在走内部审批流程。",
]
